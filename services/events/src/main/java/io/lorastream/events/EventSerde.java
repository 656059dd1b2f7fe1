package io.lorastream.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import java.net.URI;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for LoraStream events: CloudEvents in binary mode ({@code ce_*} headers, JSON data)
 * when the client passes headers, plain JSON data when it does not (e.g. Kafka Streams state stores).
 *
 * <p>Reading validates the data against its schema and throws {@link InvalidEventException} with
 * the reasons; writing validates too unless built with {@link #withoutWriteValidation()}.
 * A record without {@code ce_type} is accepted when exactly one of the serde's types accepts it.
 */
public final class EventSerde<T extends LoraEvent> implements Serde<T> {
    private static final String CE_TYPE_HEADER = "ce_type";

    private final Class<T> base;
    private final List<EventType> types;
    private final URI source;
    private final boolean validateOnWrite;
    private final CloudEventSerializer ceSerializer = new CloudEventSerializer();
    private final CloudEventDeserializer ceDeserializer = new CloudEventDeserializer();

    private EventSerde(Class<T> base, URI source, boolean validateOnWrite) {
        this.base = base;
        this.types = EventType.assignableTo(base);
        if (types.isEmpty()) {
            throw new IllegalArgumentException("no event type is a " + base.getName());
        }
        this.source = source;
        this.validateOnWrite = validateOnWrite;
        ceSerializer.configure(Map.of(CloudEventSerializer.ENCODING_CONFIG, Encoding.BINARY), false);
    }

    /**
     * @param base   the record (or sealed interface, e.g. {@link AdapterEvent}) this serde carries
     * @param source the CloudEvent {@code source} of what it writes, e.g. {@code /lorastream/ingest-service}
     */
    public static <T extends LoraEvent> EventSerde<T> of(Class<T> base, String source) {
        return new EventSerde<>(base, URI.create(source), true);
    }

    /** For hot paths whose input was validated already: skips the second schema check on write. */
    public EventSerde<T> withoutWriteValidation() {
        return new EventSerde<>(base, source, false);
    }

    @Override
    public Serializer<T> serializer() {
        return new Serializer<>() {
            @Override
            public byte[] serialize(String topic, T data) {
                return data == null ? null : data(data);
            }

            @Override
            public byte[] serialize(String topic, Headers headers, T data) {
                if (data == null) {
                    return null; // a tombstone stays a tombstone
                }
                if (headers == null) {
                    return data(data);
                }
                EventType type = EventType.of(data);
                CloudEventBuilder event = CloudEventBuilder.v1()
                        .withId(data.cloudEventId())
                        .withSource(source)
                        .withType(type.type())
                        .withDataSchema(type.dataSchema())
                        .withData("application/json", data(data));
                if (data.kafkaKey() != null) {
                    event.withSubject(data.kafkaKey());
                }
                if (data.occurredAt() != null) {
                    event.withTime(data.occurredAt().atOffset(ZoneOffset.UTC));
                }
                return ceSerializer.serialize(topic, headers, event.build());
            }
        };
    }

    private byte[] data(T data) {
        return validateOnWrite ? EventJson.encodeValid(data) : EventJson.encode(data);
    }

    @Override
    public Deserializer<T> deserializer() {
        return new Deserializer<>() {
            @Override
            public T deserialize(String topic, byte[] data) {
                return data == null ? null : untyped(data);
            }

            @Override
            public T deserialize(String topic, Headers headers, byte[] data) {
                if (data == null) {
                    return null;
                }
                if (headers == null || headers.lastHeader(CE_TYPE_HEADER) == null) {
                    return untyped(data);
                }
                CloudEvent event;
                try {
                    event = ceDeserializer.deserialize(topic, headers, data);
                } catch (RuntimeException e) {
                    throw new InvalidEventException("malformed CloudEvent headers", e);
                }
                EventType type = EventType.ofCloudEventType(event.getType())
                        .filter(types::contains)
                        .orElseThrow(() -> new InvalidEventException(
                                "ce_type " + event.getType() + " does not belong on " + topic + "; expected one of "
                                        + types.stream().map(EventType::type).toList(), List.of()));
                byte[] body = event.getData() == null ? null : event.getData().toBytes();
                return EventJson.decode(type, body, base);
            }
        };
    }

    /** No CloudEvent headers: the one type whose schema accepts the data. */
    private T untyped(byte[] data) {
        JsonNode tree = EventJson.parse(data);
        if (types.size() == 1) {
            return EventJson.decode(types.get(0), tree, base);
        }
        EventType closest = null;
        List<String> fewest = null;
        for (EventType type : types) {
            List<String> errors = EventSchemas.get().validate(type, tree);
            if (errors.isEmpty()) {
                return EventJson.toRecord(type, tree, base);
            }
            if (fewest == null || errors.size() < fewest.size()) {
                closest = type;
                fewest = errors;
            }
        }
        // name what is wrong against the type it comes closest to (a v1 request with a bad key: that key, not "matches none")
        throw new InvalidEventException("no ce_type header and the data matches none of " + types.stream().map(EventType::type).toList()
                + "; closest " + closest.type() + ": " + String.join("; ", fewest), fewest);
    }
}
