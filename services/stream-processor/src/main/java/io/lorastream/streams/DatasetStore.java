package io.lorastream.streams;

/**
 * Where sealed shards and manifests go (S3 in production). Writes are whole-object puts with
 * deterministic keys, so writing the same key again after a crash replaces what an uncommitted
 * attempt left.
 */
public interface DatasetStore {

    void put(String key, byte[] content, String contentType);

    /** The object's bytes; empty when there is none. */
    java.util.Optional<byte[]> get(String key);

    /** Every key under the prefix. */
    java.util.List<String> list(String prefix);

    /** Deletes the object; deleting one that is not there is not an error (S3's own rule). */
    void delete(String key);

    /** Deletes every object under the prefix; returns how many. */
    default int deleteAll(String prefix) {
        java.util.List<String> keys = list(prefix);
        keys.forEach(this::delete);
        return keys.size();
    }

    /** S3 (or the network to it) failed; the same write may succeed later. */
    final class UnavailableException extends RuntimeException {
        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
