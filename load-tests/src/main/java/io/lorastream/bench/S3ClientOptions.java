package io.lorastream.bench;

import io.lorastream.store.ObjectStore;
import io.minio.MinioClient;
import picocli.CommandLine.Option;

/**
 * Where the stack's S3 is and the key to it, for every tool that reads or writes the bucket ({@code @Mixin}); the launcher
 * passes the stack's own.
 */
public final class S3ClientOptions {
    /** The local stack's region: s3proxy takes any, and signatures name it. */
    private static final String REGION = "us-east-1";

    @Option(names = "--s3", defaultValue = "http://127.0.0.1:9000", description = "the S3 endpoint")
    String endpoint;

    @Option(names = "--access-key", required = true, description = "the stack's S3 access key (the launcher passes its own)")
    String accessKey;

    @Option(names = "--secret-key", required = true)
    String secretKey;

    @Option(names = "--bucket", defaultValue = "lorastream")
    String bucket;

    public MinioClient minio() {
        return MinioClient.builder().endpoint(endpoint).region(REGION).credentials(accessKey, secretKey).build();
    }

    /** The bucket, as the services read and write it. */
    public ObjectStore objectStore() {
        return new ObjectStore(minio(), bucket);
    }

    public String bucket() {
        return bucket;
    }
}
