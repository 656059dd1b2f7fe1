package io.lorastream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventSerde;
import io.lorastream.events.LoraEvent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The one client of a running stack that the demo and the benchmarks share: HTTP requests with the
 * bearer token, topics followed from now on as the services' consumers read them (read_committed), and
 * events published as a service publishes them (CloudEvents, keyed by tenant, acks=all). Each caller
 * used to build its own HttpClient, consumer and Authorization header.
 */
public final class StackClient implements AutoCloseable {
    /** Where events this client publishes say they come from (the CloudEvent {@code source}). */
    static final String SOURCE = "/bench";

    /** An HTTP answer: its status and its body as JSON (an empty object when there is none). */
    public record Response(int status, JsonNode body) {
        public boolean ok() {
            return status / 100 == 2;
        }
    }

    private final HttpClient http;
    private final String token;
    private final Map<String, Object> kafka;
    private KafkaProducer<String, byte[]> producer;
    /** One serializer per event type: the open-loop benchmarks publish hundreds a second. */
    private final Map<Class<?>, Serializer<LoraEvent>> serializers = new ConcurrentHashMap<>();

    /** @param kafka Kafka client settings (bootstrap servers, login); null when the caller never reads or writes a topic */
    public StackClient(String token, Map<String, Object> kafka) {
        this(token, kafka, HttpClient.Version.HTTP_2);
    }

    /** @param version HTTP/1.1 for load generators that want one connection per client, as most HTTP clients open */
    public StackClient(String token, Map<String, Object> kafka, HttpClient.Version version) {
        this.http = HttpClient.newBuilder().version(version).build();
        this.token = token;
        this.kafka = kafka == null ? null : Map.copyOf(kafka);
    }

    /** A request to {@code url} with the token and the content type, for callers that time or send it themselves. */
    public HttpRequest.Builder request(String url, String contentType) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).header("Content-Type", contentType)
                .timeout(Duration.ofSeconds(60));
    }

    public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** {@code method} with a JSON body (none for a GET), whatever the status. */
    public Response call(String method, String url, String jsonBody) throws IOException, InterruptedException {
        HttpRequest.Builder builder = request(url, "application/json");
        builder = jsonBody != null ? builder.method(method, HttpRequest.BodyPublishers.ofString(jsonBody))
                : method.equals("GET") ? builder.GET() : builder.method(method, HttpRequest.BodyPublishers.noBody());
        HttpResponse<String> r = send(builder.build());
        return new Response(r.statusCode(), r.body().isEmpty() ? EventJson.MAPPER.createObjectNode() : EventJson.MAPPER.readTree(r.body()));
    }

    public Response get(String url) throws IOException, InterruptedException {
        return call("GET", url, null);
    }

    /** A POST whose answer must be 2xx: any other is an error naming the URL, the status and the body. */
    public JsonNode post(String url, Object body) throws IOException, InterruptedException {
        Response r = call("POST", url, body instanceof String s ? s : EventJson.MAPPER.writeValueAsString(body));
        if (!r.ok()) {
            throw new IllegalStateException("POST " + url + ": HTTP " + r.status() + " " + r.body());
        }
        return r.body();
    }

    /** Serving's answer to {@code texts} for {@code tenant} (must be 200). */
    public JsonNode score(String serving, String tenant, List<String> texts) throws IOException, InterruptedException {
        return post(serving + "/v1/tenants/" + tenant + "/score", Map.of("texts", texts));
    }

    /** Every record of {@code topic} from now on, decoded as {@code type}; the position is fixed before this returns. */
    public <T extends LoraEvent> Follower<T> follow(String topic, Class<T> type) {
        Map<String, Object> config = requireKafka();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // seekToEnd is lazy: resolve it now, so nothing published from here on is missed
        return new Follower<>(consumer, EventSerde.of(type, SOURCE).deserializer());
    }

    /** Sends {@code event} to {@code topic} under its key; the future completes once the broker has it (acks=all). */
    @SuppressWarnings("unchecked")
    public Future<RecordMetadata> publish(String topic, LoraEvent event) {
        RecordHeaders headers = new RecordHeaders();
        Serializer<LoraEvent> serializer = serializers.computeIfAbsent(event.getClass(),
                type -> (Serializer<LoraEvent>) EventSerde.of((Class<LoraEvent>) type, SOURCE).serializer());
        byte[] value = serializer.serialize(topic, headers, event);
        return producer().send(new ProducerRecord<>(topic, null, event.kafkaKey(), value, headers));
    }

    private synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Map<String, Object> config = requireKafka();
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.LINGER_MS_CONFIG, "0");
            producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        }
        return producer;
    }

    /** A copy of the Kafka settings, for a client to add its own to. */
    private Map<String, Object> requireKafka() {
        if (kafka == null) {
            throw new IllegalStateException("this client was made without Kafka's address");
        }
        return new HashMap<>(kafka);
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close();
        }
    }

    /** A topic followed from a fixed point: each poll returns what arrived since, decoded, with its key. */
    public static final class Follower<T> implements AutoCloseable {
        public record Received<T>(String key, T value) {}

        private final KafkaConsumer<String, byte[]> consumer;
        private final Deserializer<T> decoder;

        Follower(KafkaConsumer<String, byte[]> consumer, Deserializer<T> decoder) {
            this.consumer = consumer;
            this.decoder = decoder;
        }

        public List<Received<T>> poll(Duration timeout) {
            List<Received<T>> received = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
                received.add(new Received<>(record.key(), decoder.deserialize(record.topic(), record.headers(), record.value())));
            }
            return received;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
