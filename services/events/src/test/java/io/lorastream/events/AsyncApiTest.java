package io.lorastream.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** schemas/asyncapi.yaml and the Java constants describe the same topics and messages. */
class AsyncApiTest {
    static JsonNode api;

    @BeforeAll
    static void load() throws Exception {
        try (var in = AsyncApiTest.class.getResourceAsStream("/schemas/asyncapi.yaml")) {
            api = new ObjectMapper(new YAMLFactory()).readTree(in);
        }
    }

    @Test
    void isAsyncApi3() {
        assertThat(api.path("asyncapi").asText()).startsWith("3.");
    }

    @Test
    void channelsAreExactlyTheTopics() {
        List<Topics.Spec> declared = new ArrayList<>();
        api.path("channels").fields().forEachRemaining(channel -> {
            JsonNode kafka = channel.getValue().path("bindings").path("kafka");
            assertThat(channel.getValue().path("address").asText()).isEqualTo(channel.getKey());
            assertThat(kafka.path("topic").asText()).isEqualTo(channel.getKey());
            boolean compacted = false;
            for (JsonNode policy : kafka.path("topicConfiguration").path("cleanup.policy")) {
                compacted |= policy.asText().equals("compact");
            }
            declared.add(new Topics.Spec(channel.getKey(), kafka.path("partitions").asInt(), compacted));
        });
        assertThat(declared).containsExactlyInAnyOrderElementsOf(Topics.ALL);
    }

    @Test
    void everyMessageIsAnEventTypeWithItsSchema() {
        Set<EventType> seen = new HashSet<>();
        api.path("components").path("messages").fields().forEachRemaining(message -> {
            String name = message.getValue().path("name").asText();
            EventType type = EventType.ofCloudEventType(name).orElseThrow(
                    () -> new AssertionError("message " + message.getKey() + " names unknown type " + name));
            assertThat(message.getValue().path("payload").path("$ref").asText()).isEqualTo("./" + type.schemaFile());
            assertThat(message.getValue().path("bindings").path("kafka").path("key").path("$ref").asText())
                    .isEqualTo("#/components/schemas/TenantKey");
            seen.add(type);
        });
        assertThat(seen).containsExactlyInAnyOrder(EventType.values());
    }

    @Test
    void everyChannelMessageResolves() {
        Set<String> defined = new HashSet<>();
        api.path("components").path("messages").fieldNames().forEachRemaining(defined::add);
        api.path("channels").forEach(channel -> channel.path("messages").forEach(ref -> {
            String target = ref.path("$ref").asText();
            assertThat(target).startsWith("#/components/messages/");
            assertThat(defined).contains(target.substring("#/components/messages/".length()));
        }));
        assertThat(Arrays.stream(EventType.values()).count()).isEqualTo(defined.size());
    }
}
