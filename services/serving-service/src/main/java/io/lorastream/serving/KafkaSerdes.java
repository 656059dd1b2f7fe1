package io.lorastream.serving;

import io.lorastream.events.AdapterCommand;
import io.lorastream.events.AdapterLoadFailed;
import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventKafkaSerializer;
import io.lorastream.events.ScoreCompleted;

/** The channels' serdes, named in application.properties (Kafka instantiates them by class name). */
public final class KafkaSerdes {
    static final String SOURCE = "/lorastream/serving-service";

    private KafkaSerdes() {}

    /** score-results: binary CloudEvents, validated against the schema on write. */
    public static class ScoreCompletedSerializer extends EventKafkaSerializer<ScoreCompleted> {
        public ScoreCompletedSerializer() {
            super(ScoreCompleted.class, SOURCE, true);
        }
    }

    /** score-requests-dlq: the request as it came, with the reason. */
    public static class DeadLetterSerializer extends EventKafkaSerializer<DeadLetter> {
        public DeadLetterSerializer() {
            super(DeadLetter.class, SOURCE, true);
        }
    }

    /** adapter-commands: an admin's request for the rollout state machine. */
    public static class AdapterCommandSerializer extends EventKafkaSerializer<AdapterCommand> {
        public AdapterCommandSerializer() {
            super(AdapterCommand.class, SOURCE, true);
        }
    }

    /** adapter-events: a version this replica refused. */
    public static class AdapterLoadFailedSerializer extends EventKafkaSerializer<AdapterLoadFailed> {
        public AdapterLoadFailedSerializer() {
            super(AdapterLoadFailed.class, SOURCE, true);
        }
    }
}
