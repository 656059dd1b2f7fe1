/**
 * Real Kafka and a real S3 API server for tests, never mocks.
 *
 * <p>Where a Docker engine answers, Testcontainers runs {@code apache/kafka} and {@code minio/minio};
 * otherwise (this machine, CI) Kafka's own KRaft test kit runs a broker inside the test JVM and
 * s3proxy (filesystem backend) runs as a child JVM. {@code LORASTREAM_TEST_INFRA=embedded|containers}
 * forces one. Either way the standard topics ({@link io.lorastream.events.Topics}) and the bucket
 * {@code lorastream} exist before the first test, exactly as on the local stack.
 *
 * <p>One instance serves every test of a JVM run ({@link io.lorastream.testing.SharedInfrastructure});
 * it is closed when the run ends. s3proxy runs as a separate JVM because its uber jar would clash
 * with a Quarkus test classpath; it exits on its own when the test JVM dies, even by kill -9,
 * because it watches its stdin pipe ({@link io.lorastream.testing.S3ProxyChild}).
 *
 * <p>Use it with {@link io.lorastream.testing.WithKafkaAndS3} on a JUnit test, or with
 * {@code @QuarkusTestResource(KafkaAndS3TestResource.class)} on a Quarkus test.
 */
package io.lorastream.testing;
