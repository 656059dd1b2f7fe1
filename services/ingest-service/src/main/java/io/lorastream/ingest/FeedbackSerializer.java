package io.lorastream.ingest;

import io.lorastream.events.EventKafkaSerializer;
import io.lorastream.events.FeedbackReceived;

/**
 * The feedback channel's value serializer (named in application.properties): binary-mode
 * CloudEvents. Batches are validated against the schema before they are sent, so not twice.
 */
public class FeedbackSerializer extends EventKafkaSerializer<FeedbackReceived> {
    public FeedbackSerializer() {
        super(FeedbackReceived.class, "/lorastream/ingest-service", false);
    }
}
