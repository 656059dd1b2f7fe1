package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * An input record that could not be processed, with the reason ({@code dlq-record.v1.json}). The payload
 * is kept whole up to {@link #MAX_PAYLOAD} (bytes, or characters for text); a larger one is cut there and
 * described by its size and sha256, so a dead letter always fits in a Kafka record whatever it carries
 * (64 Ki control characters, JSON-escaped six bytes each, are 384 KiB).
 *
 * @param payloadSize      bytes of the original value
 * @param payloadSha256    of the original value, whole
 * @param payloadTruncated {@code payload} holds only the start of the original value
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(
        String sourceTopic,
        int partition,
        long offset,
        String key,
        String reason,
        List<String> errors,
        String payload,
        PayloadEncoding payloadEncoding,
        Long payloadSize,
        String payloadSha256,
        Boolean payloadTruncated,
        Instant failedAt,
        String failedBy) implements LoraEvent {

    /** Header that carries {@link #reason} too, for tools that only read headers. */
    public static final String REASON_HEADER = "lorastream-dlq-reason";

    public enum PayloadEncoding {
        @JsonProperty("utf-8") UTF_8,
        @JsonProperty("base64") BASE64
    }

    public DeadLetter {
        errors = errors == null ? List.of() : List.copyOf(errors);
    }

    /** The schema's limit on {@link #reason}. */
    static final int MAX_REASON = 4000;
    /** What a dead letter keeps of the payload: bytes, or characters when it is text. */
    public static final int MAX_PAYLOAD = 65_536;
    /** The most errors kept, each cut to {@link #MAX_REASON}. */
    static final int MAX_ERRORS = 100;

    /**
     * Keeps {@code value} as text when it is valid UTF-8, else as base64, whole up to {@link #MAX_PAYLOAD}.
     * A reason longer than the schema allows is cut to fit ({@link #errors} keeps the details).
     */
    public static DeadLetter of(String topic, int partition, long offset, String key, byte[] value,
                                String reason, List<String> errors, String failedBy, Instant failedAt) {
        reason = cut(reason);
        errors = errors == null ? List.of() : errors.stream().limit(MAX_ERRORS).map(DeadLetter::cut).toList();
        byte[] bytes = value == null ? new byte[0] : value;
        long size = bytes.length;
        String sha256 = Sha256.hex(bytes);
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            boolean truncated = text.length() > MAX_PAYLOAD;
            if (truncated) {
                int end = Character.isHighSurrogate(text.charAt(MAX_PAYLOAD - 1)) ? MAX_PAYLOAD - 1 : MAX_PAYLOAD;
                text = text.substring(0, end);
            }
            return new DeadLetter(topic, partition, offset, key, reason, errors, text, PayloadEncoding.UTF_8, size, sha256, truncated,
                    failedAt, failedBy);
        } catch (CharacterCodingException notText) {
            boolean truncated = bytes.length > MAX_PAYLOAD;
            byte[] kept = truncated ? java.util.Arrays.copyOf(bytes, MAX_PAYLOAD) : bytes;
            return new DeadLetter(topic, partition, offset, key, reason, errors,
                    Base64.getEncoder().encodeToString(kept), PayloadEncoding.BASE64, size, sha256, truncated, failedAt, failedBy);
        }
    }

    private static String cut(String text) {
        return text == null || text.length() <= MAX_REASON ? text : text.substring(0, MAX_REASON);
    }

    /** The payload as kept, byte for byte: the original value unless {@link #payloadTruncated}. */
    public byte[] payloadBytes() {
        return payloadEncoding == PayloadEncoding.UTF_8
                ? payload.getBytes(StandardCharsets.UTF_8)
                : Base64.getDecoder().decode(payload);
    }

    @Override public String cloudEventId() { return "dlq:" + sourceTopic + ":" + partition + ":" + offset; }
    @Override public String kafkaKey() { return key; }
    @Override public Instant occurredAt() { return failedAt; }
}
