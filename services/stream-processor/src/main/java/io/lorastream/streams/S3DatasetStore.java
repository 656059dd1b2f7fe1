package io.lorastream.streams;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/** {@link DatasetStore} on the lorastream bucket, through the MinIO SDK. */
@ApplicationScoped
@Startup
public class S3DatasetStore implements DatasetStore {
    private final MinioClient client;
    private final String bucket;
    /** The last failed write, cleared by the next successful one: readiness reports it. */
    private final AtomicReference<String> lastFailure = new AtomicReference<>();

    @jakarta.inject.Inject
    S3DatasetStore(StreamProcessorConfig config) {
        this(MinioClient.builder()
                .endpoint(config.s3().endpoint())
                .region(config.s3().region())
                .credentials(config.s3().accessKey(), config.s3().secretKey())
                .build(), config.s3().bucket());
    }

    /** The store on a client of the caller's: the scale test (load-tests/history) drives the topology with one. */
    public S3DatasetStore(MinioClient client, String bucket) {
        this.client = client;
        this.bucket = bucket;
    }

    @Override
    public void put(String key, byte[] content, String contentType) {
        try {
            client.putObject(PutObjectArgs.builder()
                    .bucket(bucket)
                    .object(key)
                    .stream(new ByteArrayInputStream(content), (long) content.length, -1L)
                    .contentType(contentType)
                    .build());
            lastFailure.set(null);
        } catch (Exception e) {
            lastFailure.set(Instant.now() + " put s3://" + bucket + "/" + key + ": " + e);
            throw new UnavailableException("put s3://" + bucket + "/" + key + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public java.util.Optional<byte[]> get(String key) {
        try (java.io.InputStream in = client.getObject(io.minio.GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return java.util.Optional.of(in.readAllBytes());
        } catch (Exception e) {
            if (e instanceof io.minio.errors.ErrorResponseException r && "NoSuchKey".equals(r.errorResponse().code())) {
                return java.util.Optional.empty();
            }
            throw new UnavailableException("get s3://" + bucket + "/" + key + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public java.util.List<String> list(String prefix) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        try {
            for (io.minio.Result<io.minio.messages.Item> item : client.listObjects(
                    io.minio.ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                keys.add(item.get().objectName());
            }
            return keys;
        } catch (Exception e) {
            throw new UnavailableException("list s3://" + bucket + "/" + prefix + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String key) {
        try {
            client.removeObject(io.minio.RemoveObjectArgs.builder().bucket(bucket).object(key).build());
        } catch (Exception e) {
            throw new UnavailableException("delete s3://" + bucket + "/" + key + " failed: " + e.getMessage(), e);
        }
    }

    /** Null while writes succeed. */
    public String lastFailure() {
        return lastFailure.get();
    }

    public String bucket() {
        return bucket;
    }

    @PreDestroy
    void close() throws Exception {
        client.close();
    }
}
