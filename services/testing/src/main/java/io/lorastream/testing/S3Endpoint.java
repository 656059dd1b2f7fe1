package io.lorastream.testing;

import io.minio.MinioClient;

/** Where a real S3 API server answers, and how to sign in. Path-style access. */
public record S3Endpoint(String url, String region, String accessKey, String secretKey, String bucket) {

    /** A client for this endpoint; close it when done, or its connection pool keeps the JVM alive. */
    public MinioClient newClient() {
        return MinioClient.builder().endpoint(url).region(region).credentials(accessKey, secretKey).build();
    }
}
