package io.lorastream.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.lorastream.engine.BaseModel;
import io.lorastream.events.RegistryEntry;
import io.lorastream.store.ObjectStore;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.S3Endpoint;
import io.lorastream.testing.ServiceProcess;
import io.lorastream.testing.TestTokens;
import io.lorastream.testing.WithKafkaAndS3;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged serving-service as a process: it is ready only once the registry is read and its versions
 * loaded, so its very first request is answered with the registered version; killed with SIGKILL while
 * the registry moves on, it comes back serving the newer version.
 */
@WithKafkaAndS3
class ServingRestartIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path work;

    @Test
    void aRestartedReplicaPreloadsTheRegistryBeforeItIsReady(Infrastructure infra) throws Exception {
        S3Endpoint s3 = infra.s3();
        String a = "warm-a-" + UUID.randomUUID().toString().substring(0, 6);
        String b = "warm-b-" + UUID.randomUUID().toString().substring(0, 6);
        try (BaseModel base = BaseModel.embedded(Device.cpu());
             ObjectStore store = new ObjectStore(s3.newClient(), s3.bucket());
             TestTokens tokens = TestTokens.create()) {
            TestVersions.register(infra.kafkaBootstrapServers(), a, 1, TestVersions.publish(store, base, a, 1, 1, HotReloadTest.LABELS));
            TestVersions.register(infra.kafkaBootstrapServers(), b, 1, TestVersions.publish(store, base, b, 1, 2, HotReloadTest.LABELS));

            Map<String, String> config = new LinkedHashMap<>();
            config.put("kafka.bootstrap.servers", infra.kafkaBootstrapServers());
            config.put("lorastream.s3.endpoint", s3.url());
            config.put("lorastream.s3.access-key", s3.accessKey());
            config.put("lorastream.s3.secret-key", s3.secretKey());
            config.put("lorastream.s3.bucket", s3.bucket());
            config.put("lorastream.serving.device", "cpu");
            config.put("mp.jwt.verify.publickey.location", tokens.publicKeyFile().toString());
            try (ServiceProcess serving = new ServiceProcess("serving-service", Path.of(System.getProperty("lorastream.serving.jar")),
                    freePort(), config, Map.of(), work.resolve("serving.log"))) {
                serving.start(Duration.ofSeconds(120));
                assertThat(firstVersion(serving, a, tokens.tenant(a))).as("the first request after ready").isEqualTo(1);
                assertThat(firstVersion(serving, b, tokens.tenant(b))).isEqualTo(1);

                serving.kill();
                RegistryEntry.VersionRef v2 = TestVersions.publish(store, base, a, 2, 3, HotReloadTest.LABELS);
                TestVersions.register(infra.kafkaBootstrapServers(), a, 2, v2);
                serving.start(Duration.ofSeconds(120));
                assertThat(firstVersion(serving, a, tokens.tenant(a))).as("the registry moved on while it was down").isEqualTo(2);
                assertThat(firstVersion(serving, b, tokens.tenant(b))).isEqualTo(1);
            }
        }
    }

    /** The version of the first answer; any status but 200 fails the test (no 503 "still loading" after ready). */
    private static int firstVersion(ServiceProcess serving, String tenant, String token) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(serving.url("/v1/tenants/" + tenant + "/score")))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"texts\": [\"first!\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return io.lorastream.events.EventJson.MAPPER.readTree(response.body()).path("predictions").path(0).path("version").asInt();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
