package io.lorastream.events;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * What a client needs to reach and log in to the brokers, taken from a service's Kafka settings ({@code kafka.*}, which its
 * SmallRye channels use too): the bootstrap servers, the security protocol and every {@code sasl.*} and {@code ssl.*}
 * setting. The consumers a service makes itself (the registry followers) connect with these, as its principal.
 */
public final class KafkaConnection {

    /** The connection settings among {@code settings}; the rest (a channel's tuning) stays out. */
    public static Map<String, Object> of(Map<String, ?> settings) {
        Map<String, Object> connection = new TreeMap<>();
        settings.forEach((key, value) -> {
            if (key.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) || key.equals(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG)
                    || key.startsWith("sasl.") || key.startsWith("ssl.")) {
                connection.put(key, value);
            }
        });
        if (!connection.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new IllegalArgumentException("no kafka.bootstrap.servers among the Kafka settings " + settings.keySet());
        }
        return connection;
    }

    /**
     * A Kafka client properties file (what Kafka's own tools take as {@code --command-config}: a login, a trust store) as
     * client settings, for the command-line tools' {@code --kafka-config}; {@code null}, none.
     */
    public static Map<String, Object> fromFile(Path file) {
        Map<String, Object> config = new TreeMap<>();
        if (file == null) {
            return config;
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Kafka client settings " + file, e);
        }
        properties.forEach((key, value) -> config.put((String) key, value));
        return config;
    }

    private KafkaConnection() {}
}
