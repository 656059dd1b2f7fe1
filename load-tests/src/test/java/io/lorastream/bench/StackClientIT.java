package io.lorastream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.events.AdapterCommand;
import io.lorastream.events.Topics;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.WithKafkaAndS3;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.CommonClientConfigs;
import org.junit.jupiter.api.Test;

/** The shared client on a real broker: a followed topic shows what was published after, not before, decoded and keyed by tenant. */
@WithKafkaAndS3
class StackClientIT {
    @Test
    void aFollowerSeesWhatIsPublishedFromThenOnDecodedWithItsKey(Infrastructure infra) throws Exception {
        String tenant = "stack-" + UUID.randomUUID().toString().substring(0, 8);
        try (StackClient client = new StackClient("unused", Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, infra.kafkaBootstrapServers()))) {
            client.publish(Topics.ADAPTER_COMMANDS, command(tenant, "before")).get();
            List<AdapterCommand> seen = new ArrayList<>();
            try (StackClient.Follower<AdapterCommand> commands = client.follow(Topics.ADAPTER_COMMANDS, AdapterCommand.class)) {
                client.publish(Topics.ADAPTER_COMMANDS, command(tenant, "after")).get();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (seen.stream().noneMatch(c -> c.reason().equals("after")) && System.nanoTime() < deadline) {
                    for (var received : commands.poll(Duration.ofMillis(200))) {
                        if (tenant.equals(received.key())) {
                            seen.add(received.value());
                        }
                    }
                }
            }
            assertThat(seen).extracting(AdapterCommand::reason).containsExactly("after");
            assertThat(seen.get(0).tenant()).isEqualTo(tenant);
        }
    }

    private static AdapterCommand command(String tenant, String reason) {
        return new AdapterCommand(UUID.randomUUID().toString(), tenant, AdapterCommand.Action.PROMOTE, 2, "bench", reason, Instant.now());
    }
}
