package io.lorastream.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.lorastream.events.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml cannot be run here (no Docker engine, no compose plugin); this checks what can be:
 * it parses, creates exactly the topics of schemas/asyncapi.yaml, and every service has a healthcheck or
 * waits for one.
 */
class DockerComposeTest {
    static JsonNode compose;

    @BeforeAll
    static void load() throws Exception {
        Path root = Path.of(System.getProperty("lorastream.root", "../../..")).toAbsolutePath().normalize();
        compose = new ObjectMapper(new YAMLFactory()).readTree(root.resolve("docker-compose.yml").toFile());
    }

    @Test
    void createsExactlyTheTopicsOfTheContract() {
        String specs = compose.path("services").path("kafka-init").path("environment").path("TOPICS").asText();
        List<Topics.Spec> declared = new ArrayList<>();
        for (String spec : specs.trim().split("\\s+")) {
            String[] parts = spec.split(":");
            declared.add(new Topics.Spec(parts[0], Integer.parseInt(parts[1]), parts[2].equals("compact")));
        }
        assertThat(declared).containsExactlyElementsOf(Topics.ALL);
    }

    @Test
    void usesTheRealImagesWithHealthchecks() {
        JsonNode services = compose.path("services");
        assertThat(services.path("kafka").path("image").asText()).startsWith("apache/kafka:");
        assertThat(services.path("minio").path("image").asText()).startsWith("minio/minio:");
        assertThat(services.path("kafka").has("healthcheck")).isTrue();
        assertThat(services.path("minio").has("healthcheck")).isTrue();
        assertThat(services.path("kafka-init").path("depends_on").path("kafka").path("condition").asText())
                .isEqualTo("service_healthy");
        assertThat(services.path("minio-init").path("command").get(0).asText()).contains("mc mb --ignore-existing").contains("local/lorastream");
    }
}
