package io.lorastream.events;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Base for a Kafka value serializer named by class in a client's configuration (Kafka instantiates it
 * with no arguments): a subclass passes its event type and CloudEvent source to {@link EventSerde}.
 */
public abstract class EventKafkaSerializer<T extends LoraEvent> implements Serializer<T> {
    private final Serializer<T> events;

    /** @param validate false where the caller validated the events already (a hot path) */
    protected EventKafkaSerializer(Class<T> type, String source, boolean validate) {
        EventSerde<T> serde = EventSerde.of(type, source);
        this.events = (validate ? serde : serde.withoutWriteValidation()).serializer();
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return events.serialize(topic, data);
    }

    @Override
    public byte[] serialize(String topic, Headers headers, T data) {
        return events.serialize(topic, headers, data);
    }
}
