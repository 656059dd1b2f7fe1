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

/** An input record that could not be processed, kept whole with the reason ({@code dlq-record.v1.json}). */
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

    /**
     * Keeps {@code value} as text when it is valid UTF-8, else as base64: nothing of it is lost.
     * A reason longer than the schema allows is cut to fit ({@link #errors} keeps the details).
     */
    public static DeadLetter of(String topic, int partition, long offset, String key, byte[] value,
                                String reason, List<String> errors, String failedBy, Instant failedAt) {
        reason = reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) : reason;
        byte[] bytes = value == null ? new byte[0] : value;
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return new DeadLetter(topic, partition, offset, key, reason, errors, text, PayloadEncoding.UTF_8, failedAt, failedBy);
        } catch (CharacterCodingException notText) {
            return new DeadLetter(topic, partition, offset, key, reason, errors,
                    Base64.getEncoder().encodeToString(bytes), PayloadEncoding.BASE64, failedAt, failedBy);
        }
    }

    /** The original value, byte for byte. */
    public byte[] payloadBytes() {
        return payloadEncoding == PayloadEncoding.UTF_8
                ? payload.getBytes(StandardCharsets.UTF_8)
                : Base64.getDecoder().decode(payload);
    }

    @Override public String cloudEventId() { return "dlq:" + sourceTopic + ":" + partition + ":" + offset; }
    @Override public String kafkaKey() { return key; }
    @Override public Instant occurredAt() { return failedAt; }
}
