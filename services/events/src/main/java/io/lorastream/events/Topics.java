package io.lorastream.events;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/** Topic names and their layout, as listed in {@code schemas/asyncapi.yaml} (a test keeps the two equal). */
public final class Topics {
    public static final String FEEDBACK = "feedback";
    public static final String FEEDBACK_DLQ = "feedback-dlq";
    public static final String TRAINING_REQUESTS = "training-requests";
    public static final String TRAINING_REQUESTS_DLQ = "training-requests-dlq";
    public static final String ADAPTER_EVENTS = "adapter-events";
    public static final String ADAPTER_COMMANDS = "adapter-commands";
    public static final String ADAPTER_REGISTRY = "adapter-registry";
    public static final String SCORE_REQUESTS = "score-requests";
    public static final String SCORE_RESULTS = "score-results";
    public static final String SCORE_REQUESTS_DLQ = "score-requests-dlq";

    /** Same count everywhere: the stream-processor joins topics keyed by tenant. */
    public static final int PARTITIONS = 6;

    /** How a topic is created. */
    public record Spec(String name, int partitions, boolean compacted) {
        public NewTopic newTopic(short replicationFactor) {
            return new NewTopic(name, partitions, replicationFactor).configs(Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG,
                    compacted ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE));
        }
    }

    public static final List<Spec> ALL = List.of(
            new Spec(FEEDBACK, PARTITIONS, false),
            new Spec(FEEDBACK_DLQ, PARTITIONS, false),
            new Spec(TRAINING_REQUESTS, PARTITIONS, false),
            new Spec(TRAINING_REQUESTS_DLQ, PARTITIONS, false),
            new Spec(ADAPTER_EVENTS, PARTITIONS, false),
            new Spec(ADAPTER_COMMANDS, PARTITIONS, false),
            new Spec(ADAPTER_REGISTRY, PARTITIONS, true),
            new Spec(SCORE_REQUESTS, PARTITIONS, false),
            new Spec(SCORE_RESULTS, PARTITIONS, false),
            new Spec(SCORE_REQUESTS_DLQ, PARTITIONS, false));

    /** Every topic, ready for {@code Admin.createTopics}. */
    public static List<NewTopic> newTopics(short replicationFactor) {
        return ALL.stream().map(spec -> spec.newTopic(replicationFactor)).toList();
    }

    private Topics() {}
}
