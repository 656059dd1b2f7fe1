package io.lorastream.testing;

import io.lorastream.events.EventSerde;
import io.lorastream.events.LoraEvent;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Events put on a topic as the services put them: binary CloudEvents, keyed by the tenant. */
public final class TestEvents {
    private TestEvents() {}

    /** One event, keyed by its {@link LoraEvent#kafkaKey()}, acknowledged by the broker before this returns. */
    public static <T extends LoraEvent> void send(String bootstrap, String topic, Class<T> type, T event) throws Exception {
        send(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topic, type, event);
    }

    /** The same, by a client with these settings (a broker that wants a login: {@link SecureKafka#operatorConfig()}). */
    public static <T extends LoraEvent> void send(Map<String, Object> client, String topic, Class<T> type, T event) throws Exception {
        Map<String, Object> config = new java.util.HashMap<>(client);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            RecordHeaders headers = new RecordHeaders();
            byte[] value = EventSerde.of(type, "/test").serializer().serialize(topic, headers, event);
            producer.send(new ProducerRecord<>(topic, null, event.kafkaKey(), value, headers)).get();
        }
    }

    /** Any bytes, with no headers: what a careless or hostile producer writes. */
    public static void sendRaw(String bootstrap, String topic, String key, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }
}
