package io.lorastream.testing;

import io.lorastream.events.Topics;
import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** Creates the standard topics and the bucket, as {@code ./lorastream up} does. */
final class Provisioning {
    private Provisioning() {}

    static void provision(Infrastructure infrastructure) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, infrastructure.kafkaBootstrapServers()))) {
            admin.createTopics(Topics.newTopics((short) 1)).all().get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics on " + infrastructure.kafkaBootstrapServers(), e);
        }
        S3Endpoint s3 = infrastructure.s3();
        try (MinioClient client = s3.newClient()) {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(s3.bucket()).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(s3.bucket()).region(s3.region()).build());
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create bucket " + s3.bucket() + " at " + s3.url(), e);
        }
    }
}
