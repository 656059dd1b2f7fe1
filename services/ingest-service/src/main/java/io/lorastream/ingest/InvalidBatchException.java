package io.lorastream.ingest;

import java.util.List;

/** A request body that is refused whole: nothing of it is published. Not retriable as it is. */
public class InvalidBatchException extends RuntimeException {
    private final List<FieldError> errors;

    public InvalidBatchException(String message, List<FieldError> errors) {
        super(message);
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
