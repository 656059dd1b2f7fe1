package io.lorastream.events;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Who may do what on Kafka: one principal per service, each allowed only what it does, and nothing else (the broker runs
 * an authorizer that refuses what no rule allows). The one table of it: the local stack's secure mode and the test broker
 * create these rules, and the deploy checks hold the Strimzi {@code KafkaUser}s to them.
 *
 * <p>Who writes what is the point: only ingest writes {@code feedback}; only the stream-processor writes
 * {@code adapter-registry} and {@code training-requests}; only serving writes {@code adapter-commands} (its admin API, behind
 * an admin token) and {@code score-results}. {@code adapter-events} has three writers (the trainer's published and failed
 * versions, serving's load failures, the stream-processor's lifecycle answers), and is read by the stream-processor and
 * serving. WRITE and READ include DESCRIBE in Kafka, so no rule names it.
 */
public final class KafkaAccess {

    /** A service and the principal it authenticates as ({@code User:name}). */
    public enum Service {
        INGEST("lorastream-ingest"),
        STREAM_PROCESSOR("lorastream-stream-processor"),
        TRAINER("lorastream-trainer"),
        SERVING("lorastream-serving");

        private final String user;

        Service(String user) {
            this.user = user;
        }

        /** The SCRAM user name, also the Strimzi {@code KafkaUser}'s name. */
        public String user() {
            return user;
        }

        public String principal() {
            return "User:" + user;
        }

        /** The {@code aud} a bearer token for this service's API carries (ingest and serving check theirs). */
        public String audience() {
            return user;
        }
    }

    /** What one rule allows: operations on a topic, group or transactional id, named literally or by prefix. */
    public record Rule(ResourceType type, String name, PatternType pattern, Set<AclOperation> operations) {
        static Rule topic(String name, AclOperation... operations) {
            return new Rule(ResourceType.TOPIC, name, PatternType.LITERAL, Set.of(operations));
        }

        static Rule group(String name) {
            return new Rule(ResourceType.GROUP, name, PatternType.LITERAL, Set.of(AclOperation.READ));
        }
    }

    /** The Kafka Streams application id: its group, the prefix of its internal topics and of its transactional ids. */
    public static final String STREAMS_APPLICATION_ID = "lorastream-stream-processor";
    public static final String TRAINER_GROUP = "lorastream-trainer";
    public static final String SERVING_GROUP = "lorastream-serving";

    private static final AclOperation READ = AclOperation.READ;
    private static final AclOperation WRITE = AclOperation.WRITE;

    /** The rules of one service. */
    public static List<Rule> rules(Service service) {
        return switch (service) {
            case INGEST -> List.of(Rule.topic(Topics.FEEDBACK, WRITE));
            case STREAM_PROCESSOR -> List.of(
                    Rule.topic(Topics.FEEDBACK, READ),
                    Rule.topic(Topics.ADAPTER_COMMANDS, READ),
                    Rule.topic(Topics.SCORE_RESULTS, READ),
                    Rule.topic(Topics.ADAPTER_EVENTS, READ, WRITE),
                    Rule.topic(Topics.FEEDBACK_DLQ, WRITE),
                    Rule.topic(Topics.TRAINING_REQUESTS, WRITE),
                    Rule.topic(Topics.ADAPTER_REGISTRY, WRITE),
                    Rule.group(STREAMS_APPLICATION_ID),
                    // its changelog and repartition topics, which Kafka Streams creates and may delete
                    new Rule(ResourceType.TOPIC, STREAMS_APPLICATION_ID + "-", PatternType.PREFIXED, Set.of(AclOperation.ALL)),
                    // exactly-once: one transactional producer per stream thread, named after the application id
                    new Rule(ResourceType.TRANSACTIONAL_ID, STREAMS_APPLICATION_ID + "-", PatternType.PREFIXED,
                            Set.of(WRITE, AclOperation.DESCRIBE)));
            case TRAINER -> List.of(
                    Rule.topic(Topics.TRAINING_REQUESTS, READ),
                    Rule.topic(Topics.ADAPTER_REGISTRY, READ),
                    Rule.topic(Topics.ADAPTER_EVENTS, WRITE),
                    Rule.topic(Topics.TRAINING_REQUESTS_DLQ, WRITE),
                    Rule.group(TRAINER_GROUP));
            case SERVING -> List.of(
                    Rule.topic(Topics.SCORE_REQUESTS, READ),
                    Rule.topic(Topics.ADAPTER_REGISTRY, READ),
                    Rule.topic(Topics.ADAPTER_EVENTS, READ, WRITE),
                    Rule.topic(Topics.SCORE_RESULTS, WRITE),
                    Rule.topic(Topics.SCORE_REQUESTS_DLQ, WRITE),
                    Rule.topic(Topics.ADAPTER_COMMANDS, WRITE),
                    Rule.group(SERVING_GROUP));
        };
    }

    /** The rules of one service as ACL bindings for {@code Admin.createAcls}: allowed, from any host. */
    public static List<AclBinding> bindings(Service service) {
        List<AclBinding> bindings = new ArrayList<>();
        for (Rule rule : rules(service)) {
            for (AclOperation operation : rule.operations().stream().sorted().toList()) {
                bindings.add(new AclBinding(new ResourcePattern(rule.type(), rule.name(), rule.pattern()),
                        new AccessControlEntry(service.principal(), "*", operation, AclPermissionType.ALLOW)));
            }
        }
        return bindings;
    }

    /** Every service's bindings. */
    public static List<AclBinding> allBindings() {
        return Arrays.stream(Service.values()).flatMap(s -> bindings(s).stream()).toList();
    }

    /** Whether the service may do this on the topic (a literal rule for it, or a prefixed one that covers it). */
    public static boolean allows(Service service, String topic, AclOperation operation) {
        return rules(service).stream().anyMatch(rule -> rule.type() == ResourceType.TOPIC
                && (rule.pattern() == PatternType.LITERAL ? rule.name().equals(topic) : topic.startsWith(rule.name()))
                && (rule.operations().contains(operation) || rule.operations().contains(AclOperation.ALL)));
    }

    private KafkaAccess() {}
}
