package io.lorastream.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.events.KafkaAccess.Service;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

/** Who may write and read each topic, written out from the security policy; {@code KafkaAccessIT} shows a broker enforce it. */
class KafkaAccessTest {
    static final Service INGEST = Service.INGEST;
    static final Service STREAMS = Service.STREAM_PROCESSOR;
    static final Service TRAINER = Service.TRAINER;
    static final Service SERVING = Service.SERVING;

    static final Map<String, Set<Service>> WRITERS = Map.of(
            Topics.FEEDBACK, EnumSet.of(INGEST),
            Topics.FEEDBACK_DLQ, EnumSet.of(STREAMS),
            Topics.TRAINING_REQUESTS, EnumSet.of(STREAMS),
            Topics.TRAINING_REQUESTS_DLQ, EnumSet.of(TRAINER),
            Topics.ADAPTER_EVENTS, EnumSet.of(STREAMS, TRAINER, SERVING),
            Topics.ADAPTER_COMMANDS, EnumSet.of(SERVING),
            Topics.ADAPTER_REGISTRY, EnumSet.of(STREAMS),
            Topics.SCORE_REQUESTS, EnumSet.noneOf(Service.class), // written by the users' own clients
            Topics.SCORE_RESULTS, EnumSet.of(SERVING),
            Topics.SCORE_REQUESTS_DLQ, EnumSet.of(SERVING));

    static final Map<String, Set<Service>> READERS = Map.of(
            Topics.FEEDBACK, EnumSet.of(STREAMS),
            Topics.FEEDBACK_DLQ, EnumSet.noneOf(Service.class), // an operator's
            Topics.TRAINING_REQUESTS, EnumSet.of(TRAINER),
            Topics.TRAINING_REQUESTS_DLQ, EnumSet.noneOf(Service.class),
            Topics.ADAPTER_EVENTS, EnumSet.of(STREAMS, SERVING),
            Topics.ADAPTER_COMMANDS, EnumSet.of(STREAMS),
            Topics.ADAPTER_REGISTRY, EnumSet.of(TRAINER, SERVING),
            Topics.SCORE_REQUESTS, EnumSet.of(SERVING),
            Topics.SCORE_RESULTS, EnumSet.of(STREAMS),
            Topics.SCORE_REQUESTS_DLQ, EnumSet.noneOf(Service.class));

    @Test
    void eachTopicHasExactlyItsWritersAndReaders() {
        assertThat(WRITERS.keySet()).as("every topic in the table").isEqualTo(Topics.ALL.stream().map(Topics.Spec::name).collect(Collectors.toSet()));
        for (Topics.Spec topic : Topics.ALL) {
            assertThat(services(topic.name(), AclOperation.WRITE)).as("writers of " + topic.name()).isEqualTo(WRITERS.get(topic.name()));
            assertThat(services(topic.name(), AclOperation.READ)).as("readers of " + topic.name()).isEqualTo(READERS.get(topic.name()));
        }
    }

    @Test
    void onlyTheStreamProcessorHasPrefixedRulesAndEachServiceAtMostItsOwnGroup() {
        for (Service service : Service.values()) {
            for (KafkaAccess.Rule rule : KafkaAccess.rules(service)) {
                if (rule.pattern() == PatternType.PREFIXED) {
                    assertThat(service).isEqualTo(STREAMS);
                    assertThat(rule.name()).isEqualTo(KafkaAccess.STREAMS_APPLICATION_ID + "-");
                }
                if (rule.type() == ResourceType.GROUP) {
                    assertThat(rule.name()).isEqualTo(service.user());
                }
                assertThat(rule.type()).isIn(ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID);
            }
        }
        assertThat(KafkaAccess.allows(STREAMS, KafkaAccess.STREAMS_APPLICATION_ID + "-pending-changelog", AclOperation.WRITE)).isTrue();
        assertThat(KafkaAccess.allows(SERVING, KafkaAccess.STREAMS_APPLICATION_ID + "-pending-changelog", AclOperation.READ)).isFalse();
    }

    @Test
    void bindingsAreOnePerOperationOfEachRuleForTheServicesPrincipal() {
        for (Service service : Service.values()) {
            int operations = KafkaAccess.rules(service).stream().mapToInt(r -> r.operations().size()).sum();
            assertThat(KafkaAccess.bindings(service)).hasSize(operations)
                    .allSatisfy(b -> assertThat(b.entry().principal()).isEqualTo("User:" + service.user()));
        }
        assertThat(KafkaAccess.allBindings()).hasSize(Arrays.stream(Service.values()).mapToInt(s -> KafkaAccess.bindings(s).size()).sum());
    }

    private static Set<Service> services(String topic, AclOperation operation) {
        Set<Service> allowed = EnumSet.noneOf(Service.class);
        for (Service service : Service.values()) {
            if (KafkaAccess.allows(service, topic, operation)) {
                allowed.add(service);
            }
        }
        return allowed;
    }
}
