package io.lorastream.ingest;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One problem in a request body: where (the line of the body, and for a JSON array the item's
 * index too), which field, and what is wrong.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FieldError(Integer line, Integer item, String field, String message) {}
