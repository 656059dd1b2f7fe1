package io.lorastream.events;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Base for a Kafka value deserializer named by class in a client's configuration: a subclass passes its
 * event type to {@link EventSerde}, which validates what it reads.
 */
public abstract class EventKafkaDeserializer<T extends LoraEvent> implements Deserializer<T> {
    private final Deserializer<T> events;

    protected EventKafkaDeserializer(Class<T> type, String source) {
        this.events = EventSerde.of(type, source).deserializer();
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return events.deserialize(topic, data);
    }

    @Override
    public T deserialize(String topic, Headers headers, byte[] data) {
        return events.deserialize(topic, headers, data);
    }
}
