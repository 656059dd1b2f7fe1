package io.lorastream.trainer;

import io.lorastream.store.ObjectStore;
import io.lorastream.store.AdapterRepository;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.engine.Example;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.TrainingRequested;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.S3ProxyServer;
import io.lorastream.testing.ServiceProcess;
import io.lorastream.testing.WithKafkaAndS3;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's S3 server goes away while a job is waiting for it: the job is retried with backoff,
 * readiness turns DOWN naming the failing S3 call, and when the same server comes back on the same
 * port the job completes as version 1 and readiness turns UP again. Kafka is the shared broker; its
 * outage path (the adapter-published send retried the same way) is not exercised here.
 */
@WithKafkaAndS3
class TrainerS3OutageIT {
    private static final String ACCESS_KEY = "outage-test";
    private static final String SECRET_KEY = "outage-test-secret";
    private static final String BUCKET = "lorastream";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path work;

    @Test
    void aJobRetriesThroughAnS3OutageAndReadinessShowsIt(Infrastructure infra) throws Exception {
        String tenant = "outage-" + UUID.randomUUID().toString().substring(0, 8);
        List<Example> yelp = Example.readTsv(Path.of(TrainerS3OutageIT.class.getResource("/uci/yelp.tsv").toURI()));
        String shard = "datasets/" + tenant + "/shards/000001.jsonl";
        String holdout = "datasets/" + tenant + "/holdout/000001.jsonl";
        int s3Port = TrainerCrashIT.freePort();
        String s3Url = "http://127.0.0.1:" + s3Port;
        Path s3Data = work.resolve("s3");

        S3ProxyServer s3 = S3ProxyServer.start(s3Data, ACCESS_KEY, SECRET_KEY, s3Port);
        try {
            try (ObjectStore store = new ObjectStore(client(s3Url), BUCKET)) {
                client(s3Url).makeBucket(MakeBucketArgs.builder().bucket(BUCKET).build());
                TrainingJobIT.shard(store, tenant, shard, yelp.subList(0, 200));
                TrainingJobIT.shard(store, tenant, holdout, yelp.subList(800, 900));
            }

            Map<String, String> config = new LinkedHashMap<>();
            config.put("kafka.bootstrap.servers", infra.kafkaBootstrapServers());
            config.put("lorastream.s3.endpoint", s3Url);
            config.put("lorastream.s3.access-key", ACCESS_KEY);
            config.put("lorastream.s3.secret-key", SECRET_KEY);
            config.put("lorastream.s3.bucket", BUCKET);
            config.put("lorastream.trainer.device", "cpu");
            config.put("lorastream.trainer.epochs", "1");
            try (ServiceProcess trainer = new ServiceProcess("trainer-service", Path.of(System.getProperty("lorastream.trainer.jar")),
                    TrainerCrashIT.freePort(), config, Map.of(), work.resolve("trainer.log"))) {
                trainer.start(Duration.ofSeconds(120));
                assertThat(readiness(trainer).statusCode()).isEqualTo(200);

                s3.close(); // the outage begins before the request arrives
                TrainingRequested request = new TrainingRequested("training:" + tenant + ":1", tenant, List.of(shard), List.of(holdout),
                        200, TrainingRequested.Trigger.MIN_EXAMPLES, Instant.now());
                TrainerCrashIT.send(infra.kafkaBootstrapServers(), request);

                HttpResponse<String> down = awaitReadiness(trainer, r -> r.statusCode() == 503, Duration.ofSeconds(60));
                assertThat(down.body()).as("readiness names the failing call").contains("s3://" + BUCKET + "/").contains("DOWN");
                Thread.sleep(3_000); // a few retries against the dead endpoint
                assertThat(trainer.alive()).isTrue();

                s3 = S3ProxyServer.start(s3Data, ACCESS_KEY, SECRET_KEY, s3Port); // the outage ends
                List<AdapterPublished> events = TrainerCrashIT.awaitEvents(infra.kafkaBootstrapServers(), tenant, Duration.ofSeconds(180));
                assertThat(events).isNotEmpty().allSatisfy(e -> assertThat(e.version()).isEqualTo(1));
                try (ObjectStore store = new ObjectStore(client(s3Url), BUCKET)) {
                    assertThat(new AdapterRepository(store).versions(tenant)).hasSize(1);
                }
                HttpResponse<String> up = awaitReadiness(trainer, r -> r.statusCode() == 200, Duration.ofSeconds(30));
                assertThat(up.body()).contains("\"lastFailure\": \"none\"");
                assertThat(Files.readString(work.resolve("trainer.log")).split("will retry with backoff", -1).length - 1)
                        .as("retries during the outage").isGreaterThanOrEqualTo(2);
            }
        } finally {
            s3.close();
        }
    }

    private static MinioClient client(String url) {
        return MinioClient.builder().endpoint(url).region("us-east-1").credentials(ACCESS_KEY, SECRET_KEY).build();
    }

    private static HttpResponse<String> readiness(ServiceProcess trainer) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(trainer.managementUrl("/q/health/ready"))).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> awaitReadiness(ServiceProcess trainer, Predicate<HttpResponse<String>> wanted, Duration within)
            throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        HttpResponse<String> last = readiness(trainer);
        while (!wanted.test(last)) {
            assertThat(System.nanoTime()).as("readiness; last answer " + last.statusCode() + " " + last.body()).isLessThan(deadline);
            Thread.sleep(250);
            last = readiness(trainer);
        }
        return last;
    }
}
