package io.lorastream.events;

import java.util.Map;
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

    private KafkaConnection() {}
}
