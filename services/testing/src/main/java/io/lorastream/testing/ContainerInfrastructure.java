package io.lorastream.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.kafka.KafkaContainer;

/** apache/kafka (KRaft) and minio/minio in Docker, where a Docker engine answers. */
final class ContainerInfrastructure implements Infrastructure {
    static final String KAFKA_IMAGE = "apache/kafka:4.1.1";
    static final String MINIO_IMAGE = "minio/minio:RELEASE.2025-09-07T16-13-09Z";

    private final KafkaContainer kafka;
    private final MinIOContainer minio;
    private final S3Endpoint s3;

    private ContainerInfrastructure(KafkaContainer kafka, MinIOContainer minio) {
        this.kafka = kafka;
        this.minio = minio;
        this.s3 = new S3Endpoint(minio.getS3URL(), REGION, minio.getUserName(), minio.getPassword(), BUCKET);
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    static ContainerInfrastructure start() {
        KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE);
        MinIOContainer minio = new MinIOContainer(MINIO_IMAGE);
        try {
            kafka.start();
            minio.start();
            ContainerInfrastructure infrastructure = new ContainerInfrastructure(kafka, minio);
            Provisioning.provision(infrastructure);
            return infrastructure;
        } catch (RuntimeException e) {
            kafka.stop();
            minio.stop();
            throw e;
        }
    }

    @Override
    public String kafkaBootstrapServers() {
        return kafka.getBootstrapServers();
    }

    @Override
    public S3Endpoint s3() {
        return s3;
    }

    @Override
    public String backend() {
        return "testcontainers";
    }

    @Override
    public void close() {
        kafka.stop();
        minio.stop();
    }
}
