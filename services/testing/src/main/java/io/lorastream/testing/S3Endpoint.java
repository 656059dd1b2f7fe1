package io.lorastream.testing;

import io.minio.MinioClient;

/** Where a real S3 API server answers, and how to sign in. Path-style access. */
public record S3Endpoint(String url, String region, String accessKey, String secretKey, String bucket) {

    /** A client for this endpoint; close it when done, or its connection pool keeps the JVM alive. */
    /** The settings a service reads to reach this server ({@code lorastream.s3.*}), for {@link ServiceProcess}. */
    public java.util.Map<String, String> serviceSettings() {
        return java.util.Map.of("lorastream.s3.endpoint", url, "lorastream.s3.access-key", accessKey,
                "lorastream.s3.secret-key", secretKey, "lorastream.s3.bucket", bucket);
    }

    public MinioClient newClient() {
        return MinioClient.builder().endpoint(url).region(region).credentials(accessKey, secretKey).build();
    }
}
