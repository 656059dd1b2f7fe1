package io.lorastream.events;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** JSON encoding of event data, checked against the schemas on the way in (and, by default, out). */
public final class EventJson {
    /** ISO-8601 instants, no nulls, unknown fields refused (the schemas refuse them too). */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private EventJson() {}

    public static byte[] encode(LoraEvent event) {
        try {
            return MAPPER.writeValueAsBytes(event);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + event.getClass().getSimpleName(), e);
        }
    }

    /** Encodes and validates: an event the schema refuses is never written. */
    public static byte[] encodeValid(LoraEvent event) {
        EventType type = EventType.of(event);
        JsonNode tree = MAPPER.valueToTree(event); // validated and written from one tree: no re-parse
        List<String> errors = EventSchemas.get().validate(type, tree);
        if (!errors.isEmpty()) {
            throw new InvalidEventException("refusing to write an invalid " + type.type(), errors);
        }
        try {
            return MAPPER.writeValueAsBytes(tree);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + event.getClass().getSimpleName(), e);
        }
    }

    /** Parses, validates against the schema of {@code type}, and maps to its record. */
    public static <T extends LoraEvent> T decode(EventType type, byte[] bytes, Class<T> as) {
        return decode(type, parse(bytes), as);
    }

    /** Validates a parsed value against the schema of {@code type} and maps it to its record. */
    static <T extends LoraEvent> T decode(EventType type, JsonNode tree, Class<T> as) {
        List<String> errors = EventSchemas.get().validate(type, tree);
        if (!errors.isEmpty()) {
            throw new InvalidEventException("invalid " + type.type(), errors);
        }
        return toRecord(type, tree, as);
    }

    static <T extends LoraEvent> T toRecord(EventType type, JsonNode tree, Class<T> as) {
        try {
            return as.cast(MAPPER.treeToValue(tree, type.javaType()));
        } catch (IOException e) {
            // A rule the schema cannot express, checked by the record's constructor.
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new InvalidEventException("invalid " + type.type(), List.of(cause.getMessage()));
        }
    }

    static JsonNode parse(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new InvalidEventException("empty value", List.of());
        }
        try {
            return MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new InvalidEventException("value is not JSON", List.of(firstLine(e.getMessage())));
        }
    }

    private static String firstLine(String message) {
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
