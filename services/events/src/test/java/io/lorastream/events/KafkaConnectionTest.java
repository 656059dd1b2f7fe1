package io.lorastream.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaConnectionTest {

    @Test
    void keepsWhereTheBrokersAreAndHowToLogInAndNothingElse() {
        Map<String, Object> settings = Map.of("bootstrap.servers", "kafka:9093", "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", "login", "ssl.truststore.location", "/ca.crt",
                "ssl.truststore.type", "PEM", "acks", "all", "group.id", "lorastream-serving", "health-enabled", "true");
        assertThat(KafkaConnection.of(settings)).containsOnlyKeys("bootstrap.servers", "security.protocol", "sasl.mechanism",
                "sasl.jaas.config", "ssl.truststore.location", "ssl.truststore.type").containsEntry("sasl.jaas.config", "login");
    }

    @Test
    void settingsWithoutBootstrapServersAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> KafkaConnection.of(Map.of("security.protocol", "SASL_SSL")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kafka.bootstrap.servers");
    }
}
