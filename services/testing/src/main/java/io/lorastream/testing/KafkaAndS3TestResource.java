package io.lorastream.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Quarkus test resource: points a service under test at the shared broker and S3 server.
 * The keys are the ones every LoraStream service reads.
 */
public final class KafkaAndS3TestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        Infrastructure infrastructure = SharedInfrastructure.get();
        S3Endpoint s3 = infrastructure.s3();
        return Map.of(
                "kafka.bootstrap.servers", infrastructure.kafkaBootstrapServers(),
                "lorastream.s3.endpoint", s3.url(),
                "lorastream.s3.region", s3.region(),
                "lorastream.s3.access-key", s3.accessKey(),
                "lorastream.s3.secret-key", s3.secretKey(),
                "lorastream.s3.bucket", s3.bucket());
    }

    @Override
    public void stop() {
        // Shared with the rest of the run; closed when the JVM ends.
    }
}
