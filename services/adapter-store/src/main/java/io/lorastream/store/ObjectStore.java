package io.lorastream.store;

import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The lorastream bucket as the trainer uses it: whole objects in and out, listings by prefix. */
public final class ObjectStore implements AutoCloseable {
    private final MinioClient client;
    private final String bucket;

    public ObjectStore(MinioClient client, String bucket) {
        this.client = client;
        this.bucket = bucket;
    }

    /** A store over a MinIO client for this endpoint (path-style S3 API). */
    public static ObjectStore connect(String endpoint, String region, String accessKey, String secretKey, String bucket) {
        return new ObjectStore(MinioClient.builder().endpoint(endpoint).region(region).credentials(accessKey, secretKey).build(), bucket);
    }

    /**
     * @throws UnavailableException when S3 or the network failed: the same call may succeed later
     * @throws RefusedException when S3 (or the client, before sending) refuses this very call: it never will
     */
    public Optional<byte[]> get(String key) {
        return read(key, GetObjectArgs.builder().bucket(bucket).object(key).build());
    }

    /**
     * {@code length} bytes of an object from {@code offset} (an HTTP range request): one shard inside a compacted segment.
     *
     * @see #get(String)
     */
    public Optional<byte[]> get(String key, long offset, long length) {
        return read(key, GetObjectArgs.builder().bucket(bucket).object(key).offset(offset).length(length).build());
    }

    private Optional<byte[]> read(String key, GetObjectArgs args) {
        try (InputStream in = client.getObject(args)) {
            return Optional.of(in.readAllBytes());
        } catch (ErrorResponseException e) {
            if ("NoSuchKey".equals(e.errorResponse().code())) {
                return Optional.empty();
            }
            throw failed("get", key, e);
        } catch (IllegalArgumentException e) {
            throw new RefusedException("get " + uri(key) + " refused by the S3 client: " + e.getMessage(), e);
        } catch (Exception e) {
            throw unavailable("get", key, e);
        }
    }

    /** S3's answers that no retry changes: the request itself is wrong or not allowed. */
    private static final java.util.Set<String> REFUSALS = java.util.Set.of("AccessDenied", "InvalidObjectName", "InvalidArgument",
            "KeyTooLongError", "InvalidBucketName", "InvalidRequest", "MethodNotAllowed");

    private RuntimeException failed(String op, String key, ErrorResponseException e) {
        String code = e.errorResponse().code();
        return REFUSALS.contains(code)
                ? new RefusedException(op + " " + uri(key) + " refused: " + code + " " + e.getMessage(), e)
                : unavailable(op, key, e);
    }

    public void put(String key, byte[] content, String contentType) {
        try {
            client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                    .stream(new ByteArrayInputStream(content), (long) content.length, -1L).contentType(contentType).build());
        } catch (Exception e) {
            throw unavailable("put", key, e);
        }
    }

    /**
     * Writes the object only if no object has the key (S3's conditional write, {@code If-None-Match: *}):
     * of two writers, exactly one succeeds.
     *
     * @return false when the key was taken
     */
    public boolean putIfAbsent(String key, byte[] content, String contentType) {
        try {
            client.putObject(PutObjectArgs.builder().bucket(bucket).object(key).extraHeaders(java.util.Map.of("If-None-Match", "*"))
                    .stream(new ByteArrayInputStream(content), (long) content.length, -1L).contentType(contentType).build());
            return true;
        } catch (ErrorResponseException e) {
            if ("PreconditionFailed".equals(e.errorResponse().code()) || "ConditionalRequestConflict".equals(e.errorResponse().code())) {
                return false;
            }
            throw failed("put", key, e);
        } catch (Exception e) {
            throw unavailable("put", key, e);
        }
    }

    /** Deletes the object; deleting one that is not there is not an error (S3's own semantics). */
    public void delete(String key) {
        try {
            client.removeObject(io.minio.RemoveObjectArgs.builder().bucket(bucket).object(key).build());
        } catch (ErrorResponseException e) {
            throw failed("delete", key, e);
        } catch (Exception e) {
            throw unavailable("delete", key, e);
        }
    }

    /** Keys under {@code prefix}, recursively. */
    public List<String> list(String prefix) {
        List<String> keys = new ArrayList<>();
        try {
            for (Result<Item> item : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                keys.add(item.get().objectName());
            }
        } catch (Exception e) {
            throw unavailable("list", prefix, e);
        }
        return keys;
    }

    public String uri(String key) {
        return "s3://" + bucket + "/" + key;
    }

    private UnavailableException unavailable(String op, String key, Exception e) {
        return new UnavailableException(op + " s3://" + bucket + "/" + key + " failed: " + e.getMessage(), e);
    }

    @Override
    public void close() throws Exception {
        client.close();
    }

    /** Not retriable: S3 (or its client) refuses this call — an invalid key, no permission. */
    public static final class RefusedException extends RuntimeException {
        RefusedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Retriable: S3 or the network to it failed. */
    public static final class UnavailableException extends RuntimeException {
        UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
