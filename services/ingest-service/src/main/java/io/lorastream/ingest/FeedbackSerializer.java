package io.lorastream.ingest;

import io.lorastream.events.EventSerde;
import io.lorastream.events.FeedbackReceived;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The feedback channel's value serializer (named in application.properties): binary-mode
 * CloudEvents. Batches are validated against the schema before they are sent, so not twice.
 */
public class FeedbackSerializer implements Serializer<FeedbackReceived> {
    private final Serializer<FeedbackReceived> events =
            EventSerde.of(FeedbackReceived.class, "/lorastream/ingest-service").withoutWriteValidation().serializer();

    @Override
    public byte[] serialize(String topic, FeedbackReceived data) {
        return events.serialize(topic, data);
    }

    @Override
    public byte[] serialize(String topic, Headers headers, FeedbackReceived data) {
        return events.serialize(topic, headers, data);
    }
}
