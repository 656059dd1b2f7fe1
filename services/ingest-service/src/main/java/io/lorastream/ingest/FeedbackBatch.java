package io.lorastream.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventSchemas;
import io.lorastream.events.EventType;
import io.lorastream.events.FeedbackReceived;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request body of feedback, read and validated whole: one JSON object, a JSON array of them,
 * or NDJSON (one object per line). Either every item becomes a valid {@link FeedbackReceived}, or
 * the batch is refused with every problem found, each naming its line and field. The body must be
 * UTF-8 (nothing is silently replaced), and nothing may follow an object on its line.
 *
 * <p>An item without an id gets one derived from the request: the tenant, the {@code Idempotency-Key}
 * header (or, without one, the body's sha256) and the item's index. A retry of the same request — after a
 * 503, or a lost 202 — lands on the same ids, and the stream-processor drops the copies.
 */
public final class FeedbackBatch {
    public static final String NDJSON = "application/x-ndjson";
    private static final Set<String> FIELDS = Set.of("id", "text", "label", "predictionId", "metadata");
    private static final Pattern SCHEMA_PATH = Pattern.compile("^(?:\\$\\.|/)([A-Za-z]+)");
    private static final Pattern REQUIRED = Pattern.compile("required property '([A-Za-z]+)'");
    private static final JsonFactory JSON = EventJson.MAPPER.getFactory();
    /** Enough to show what was wrong without echoing a whole body back. */
    private static final int MAX_ERRORS = 100;

    private FeedbackBatch() {}

    /** One item of the body and where it started. */
    private record Item(int line, Integer index, JsonNode node) {}

    /** @param idempotencyKey the request's {@code Idempotency-Key} header; null when it has none */
    public static List<FeedbackReceived> read(String tenant, byte[] body, boolean ndjson, IngestConfig limits, Instant now,
                                              String idempotencyKey) {
        if (body.length > limits.maxBodyBytes()) {
            throw new BodyTooLargeException(body.length, limits.maxBodyBytes());
        }
        String text = utf8(body);
        List<Item> items = ndjson ? ndjsonItems(text) : jsonItems(body);
        String idSeed = tenant + "\n" + (idempotencyKey != null ? "key:" + idempotencyKey : "body:" + io.lorastream.events.Sha256.hex(body));
        if (items.isEmpty()) {
            throw new InvalidBatchException("the body holds no feedback", List.of(new FieldError(1, null, null, "no feedback items")));
        }
        if (items.size() > limits.maxBatchSize()) {
            throw new InvalidBatchException("too many items: " + items.size() + " > " + limits.maxBatchSize()
                    + " (lorastream.ingest.max-batch-size)", List.of(new FieldError(items.get(limits.maxBatchSize()).line(),
                    items.get(limits.maxBatchSize()).index(), null, "batch holds more than " + limits.maxBatchSize() + " items")));
        }
        List<FeedbackReceived> events = new ArrayList<>(items.size());
        List<FieldError> errors = new ArrayList<>();
        Map<String, Integer> idLines = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            List<FieldError> itemErrors = new ArrayList<>();
            FeedbackReceived event = toEvent(tenant, item, limits, now, idSeed + "\n" + i, itemErrors);
            if (event != null) {
                Integer first = idLines.putIfAbsent(event.id(), item.line());
                if (first != null) {
                    itemErrors.add(new FieldError(item.line(), item.index(), "id", "id " + event.id() + " already used on line " + first + " of this batch"));
                }
            }
            if (itemErrors.isEmpty()) {
                events.add(event);
            } else if (errors.size() < MAX_ERRORS) {
                errors.addAll(itemErrors.subList(0, Math.min(itemErrors.size(), MAX_ERRORS - errors.size())));
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidBatchException(errors.size() + (errors.size() == MAX_ERRORS ? "+" : "")
                    + " invalid field(s); nothing of this batch was accepted", errors);
        }
        return events;
    }

    private static FeedbackReceived toEvent(String tenant, Item item, IngestConfig limits, Instant now, String idSeed, List<FieldError> errors) {
        if (!(item.node() instanceof ObjectNode input)) {
            errors.add(new FieldError(item.line(), item.index(), null, "expected a JSON object, found " + item.node().getNodeType().name().toLowerCase()));
            return null;
        }
        input.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                errors.add(new FieldError(item.line(), item.index(), name, "unknown field (allowed: id, text, label, predictionId, metadata)"));
            }
        });
        JsonNode text = input.get("text");
        if (text != null && text.isTextual() && text.asText().length() > limits.maxTextLength()) {
            errors.add(new FieldError(item.line(), item.index(), "text", "longer than " + limits.maxTextLength()
                    + " characters (" + text.asText().length() + ")"));
        }
        ObjectNode event = input.deepCopy();
        if (!event.hasNonNull("id")) {
            event.put("id", UUID.nameUUIDFromBytes(idSeed.getBytes(StandardCharsets.UTF_8)).toString());
        }
        event.put("tenant", tenant);
        event.put("timestamp", now.toString());
        for (String message : EventSchemas.get().validate(EventType.FEEDBACK_RECEIVED, event)) {
            errors.add(new FieldError(item.line(), item.index(), fieldOf(message), message.replaceFirst("^[$/]?[A-Za-z./]*: ", "")));
        }
        if (!errors.isEmpty()) {
            return null;
        }
        try {
            return EventJson.MAPPER.treeToValue(event, FeedbackReceived.class);
        } catch (JsonProcessingException e) {
            errors.add(new FieldError(item.line(), item.index(), null, e.getOriginalMessage()));
            return null;
        }
    }

    /** "$.text: …" or "/text: …" → text; "$: required property 'label' not found" → label. */
    static String fieldOf(String schemaMessage) {
        Matcher path = SCHEMA_PATH.matcher(schemaMessage);
        if (path.find()) {
            return path.group(1);
        }
        Matcher required = REQUIRED.matcher(schemaMessage);
        return required.find() ? required.group(1) : null;
    }

    /** The body as text, decoded once; invalid UTF-8 refuses the batch, naming the line and byte. */
    private static String utf8(byte[] body) {
        ByteBuffer in = ByteBuffer.wrap(body);
        CharBuffer out = CharBuffer.allocate(body.length);
        CoderResult result = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in, out, true);
        if (result.isError()) {
            int bad = in.position();
            int line = 1;
            for (int i = 0; i < bad; i++) {
                line += body[i] == '\n' ? 1 : 0;
            }
            throw new InvalidBatchException("the body is not valid UTF-8; nothing of this batch was accepted",
                    List.of(new FieldError(line, null, null, "invalid UTF-8 at byte " + bad + " of the body")));
        }
        return out.flip().toString();
    }

    private static List<Item> ndjsonItems(String body) {
        List<Item> items = new ArrayList<>();
        String[] lines = body.split("\n", -1);
        List<FieldError> errors = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            try (JsonParser parser = JSON.createParser(line)) {
                parser.nextToken();
                JsonNode node = EventJson.MAPPER.readTree(parser);
                if (parser.nextToken() != null) {
                    errors.add(new FieldError(i + 1, null, null, "content after the JSON value at column "
                            + parser.currentTokenLocation().getColumnNr() + ": one object per line"));
                    continue;
                }
                items.add(new Item(i + 1, null, node));
            } catch (JsonProcessingException e) {
                errors.add(new FieldError(i + 1, null, null, "not JSON: " + e.getOriginalMessage()));
            } catch (IOException e) {
                throw new IllegalStateException("reading a string cannot fail", e);
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidBatchException(errors.size() + " line(s) are not JSON; nothing of this batch was accepted",
                    errors.subList(0, Math.min(errors.size(), MAX_ERRORS)));
        }
        return items;
    }

    private static List<Item> jsonItems(byte[] body) {
        try (JsonParser parser = JSON.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return List.of();
            }
            List<Item> items = new ArrayList<>();
            if (first == JsonToken.START_ARRAY) {
                int index = 0;
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    int line = parser.currentTokenLocation().getLineNr();
                    items.add(new Item(line, index++, EventJson.MAPPER.readTree(parser)));
                }
            } else {
                items.add(new Item(parser.currentTokenLocation().getLineNr(), null, EventJson.MAPPER.readTree(parser)));
            }
            if (parser.nextToken() != null) {
                throw new InvalidBatchException("trailing content after the JSON value",
                        List.of(new FieldError(parser.currentTokenLocation().getLineNr(), null, null,
                                "trailing content after the JSON value (use " + NDJSON + " for one object per line)")));
            }
            return items;
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 1 : e.getLocation().getLineNr();
            throw new InvalidBatchException("the body is not valid JSON", List.of(new FieldError(line, null, null, "not JSON: " + e.getOriginalMessage())));
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array cannot fail", e);
        }
    }

    /** 413: the body is larger than lorastream.ingest.max-body-bytes. */
    public static final class BodyTooLargeException extends RuntimeException {
        public BodyTooLargeException(int size, int max) {
            super("request body of " + size + " bytes is larger than " + max + " (lorastream.ingest.max-body-bytes)");
        }
    }
}
