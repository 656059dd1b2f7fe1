package io.lorastream.trainer;

import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventKafkaDeserializer;
import io.lorastream.events.EventKafkaSerializer;
import io.lorastream.events.TrainingRequested;

/** The channels' serdes, named in application.properties (Kafka instantiates them by class name). */
public final class KafkaSerdes {
    static final String SOURCE = "/lorastream/trainer-service";

    private KafkaSerdes() {}

    /** training-requests: binary CloudEvents, validated against the schema on read. */
    public static class TrainingRequestDeserializer extends EventKafkaDeserializer<TrainingRequested> {
        public TrainingRequestDeserializer() {
            super(TrainingRequested.class, SOURCE);
        }
    }

    /** adapter-events: binary CloudEvents, validated against the schema on write. */
    public static class AdapterPublishedSerializer extends EventKafkaSerializer<AdapterPublished> {
        public AdapterPublishedSerializer() {
            super(AdapterPublished.class, SOURCE, true);
        }
    }
}
