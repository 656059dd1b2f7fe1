package io.lorastream.trainer;

import io.lorastream.events.AdapterEvent;
import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventKafkaSerializer;

/** The channels' serializers, named in application.properties (Kafka instantiates them by class name); requests are read as bytes and decoded by the worker. */
public final class KafkaSerdes {
    static final String SOURCE = "/lorastream/trainer-service";

    private KafkaSerdes() {}

    /** adapter-events: a published version or a failed request, binary CloudEvents, validated against the schema on write. */
    public static class AdapterEventSerializer extends EventKafkaSerializer<AdapterEvent> {
        public AdapterEventSerializer() {
            super(AdapterEvent.class, SOURCE, true);
        }
    }

    /** training-requests-dlq. */
    public static class DeadLetterSerializer extends EventKafkaSerializer<DeadLetter> {
        public DeadLetterSerializer() {
            super(DeadLetter.class, SOURCE, true);
        }
    }
}
