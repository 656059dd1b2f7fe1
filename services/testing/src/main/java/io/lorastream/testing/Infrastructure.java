package io.lorastream.testing;

/** A running Kafka broker and S3 server. */
public interface Infrastructure extends AutoCloseable {
    String BUCKET = "lorastream";
    String REGION = "us-east-1";

    String kafkaBootstrapServers();

    S3Endpoint s3();

    /** "embedded" or "testcontainers": which kind of real parts these are. */
    String backend();

    @Override
    void close();
}
