package io.lorastream.bench;

import io.lorastream.events.KafkaConnection;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Option;

/**
 * Where the stack's Kafka is and how to log in to it, for every tool that reads or writes a topic ({@code @Mixin}). The
 * local stack's broker refuses a client without a login; {@code ./lorastream} passes the operator's.
 */
public final class KafkaClientOptions {
    @Option(names = "--kafka", defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap servers")
    String bootstrapServers;

    @Option(names = "--kafka-config", description = "Kafka client properties with a login (the local stack's KEYS/kafka/operator.properties)")
    Path config;

    /** The settings every client of the tool starts from: the bootstrap servers and the login. A new map each time. */
    public Map<String, Object> client() {
        Map<String, Object> client = KafkaConnection.fromFile(config);
        client.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return client;
    }
}
