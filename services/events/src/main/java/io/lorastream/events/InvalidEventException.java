package io.lorastream.events;

import java.util.List;

/** Input that is not a valid event. Not retriable: the same bytes fail the same way; send them to a DLQ. */
public class InvalidEventException extends RuntimeException {
    private final List<String> errors;

    public InvalidEventException(String reason, List<String> errors) {
        super(errors.isEmpty() ? reason : reason + ": " + String.join("; ", errors));
        this.errors = List.copyOf(errors);
    }

    public InvalidEventException(String reason, Throwable cause) {
        super(reason + ": " + cause.getMessage(), cause);
        this.errors = List.of(cause.getMessage());
    }

    /** One message per problem, each naming the field (JSON path) it is about. */
    public List<String> errors() {
        return errors;
    }
}
