package io.lorastream.trainer;

import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventSerde;
import io.lorastream.events.TrainingRequested;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/** The channels' serdes, named in application.properties (Kafka instantiates them by class name). */
public final class KafkaSerdes {
    static final String SOURCE = "/lorastream/trainer-service";

    private KafkaSerdes() {}

    /** training-requests: binary CloudEvents, validated against the schema on read. */
    public static class TrainingRequestDeserializer implements Deserializer<TrainingRequested> {
        private final Deserializer<TrainingRequested> events = EventSerde.of(TrainingRequested.class, SOURCE).deserializer();

        @Override
        public TrainingRequested deserialize(String topic, byte[] data) {
            return events.deserialize(topic, data);
        }

        @Override
        public TrainingRequested deserialize(String topic, Headers headers, byte[] data) {
            return events.deserialize(topic, headers, data);
        }
    }

    /** adapter-events: binary CloudEvents, validated against the schema on write. */
    public static class AdapterPublishedSerializer implements Serializer<AdapterPublished> {
        private final Serializer<AdapterPublished> events = EventSerde.of(AdapterPublished.class, SOURCE).serializer();

        @Override
        public byte[] serialize(String topic, AdapterPublished data) {
            return events.serialize(topic, data);
        }

        @Override
        public byte[] serialize(String topic, Headers headers, AdapterPublished data) {
            return events.serialize(topic, headers, data);
        }
    }
}
