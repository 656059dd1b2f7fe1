package io.lorastream.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.test.KafkaClusterTestKit;

/** A KRaft broker (combined broker + controller) in this JVM and s3proxy in a child JVM. */
final class EmbeddedInfrastructure implements Infrastructure {
    private static final String ACCESS_KEY = "lorastream-test";
    private static final String SECRET_KEY = "lorastream-test-secret";

    private final Path workDir;
    private final KafkaClusterTestKit kafka;
    private final S3ProxyServer s3proxy;
    private final S3Endpoint s3;

    private EmbeddedInfrastructure(Path workDir, KafkaClusterTestKit kafka, S3ProxyServer s3proxy) {
        this.workDir = workDir;
        this.kafka = kafka;
        this.s3proxy = s3proxy;
        this.s3 = new S3Endpoint(s3proxy.url(), REGION, ACCESS_KEY, SECRET_KEY, BUCKET);
    }

    static EmbeddedInfrastructure start() {
        Path workDir;
        try {
            workDir = Files.createTempDirectory("lorastream-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        S3ProxyServer s3proxy = S3ProxyServer.start(workDir.resolve("s3"), ACCESS_KEY, SECRET_KEY);
        KafkaClusterTestKit kafka = null;
        try {
            kafka = SingleNodeKafka.builder(SingleNodeKafka.node(workDir.resolve("kafka")).build()).build();
            kafka.format();
            kafka.startup();
            kafka.waitForReadyBrokers();
            EmbeddedInfrastructure infrastructure = new EmbeddedInfrastructure(workDir, kafka, s3proxy);
            Provisioning.provision(infrastructure);
            return infrastructure;
        } catch (Exception e) {
            s3proxy.close();
            SingleNodeKafka.closeQuietly(kafka);
            throw new IllegalStateException("cannot start the embedded Kafka broker", e);
        }
    }

    @Override
    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public S3Endpoint s3() {
        return s3;
    }

    @Override
    public String backend() {
        return "embedded";
    }

    @Override
    public void close() {
        SingleNodeKafka.closeQuietly(kafka);
        s3proxy.close();
        SingleNodeKafka.deleteTree(workDir);
    }
}
