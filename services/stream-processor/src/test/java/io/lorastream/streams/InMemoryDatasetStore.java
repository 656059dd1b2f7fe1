package io.lorastream.streams;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A DatasetStore for topology unit tests (no S3 needed for pure stream logic); can be told to fail. */
final class InMemoryDatasetStore implements DatasetStore {
    final Map<String, byte[]> objects = java.util.Collections.synchronizedMap(new TreeMap<>());
    boolean failing;
    int puts;

    @Override
    public void put(String key, byte[] content, String contentType) {
        puts++;
        if (failing) {
            throw new UnavailableException("S3 is down (test)", new java.io.IOException("connection refused"));
        }
        objects.put(key, content.clone());
    }

    @Override
    public java.util.Optional<byte[]> get(String key) {
        if (failing) {
            throw new UnavailableException("S3 is down (test)", new java.io.IOException("connection refused"));
        }
        return java.util.Optional.ofNullable(objects.get(key)).map(byte[]::clone);
    }

    @Override
    public List<String> list(String prefix) {
        if (failing) {
            throw new UnavailableException("S3 is down (test)", new java.io.IOException("connection refused"));
        }
        synchronized (objects) {
            return objects.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
        }
    }

    @Override
    public void delete(String key) {
        if (failing) {
            throw new UnavailableException("S3 is down (test)", new java.io.IOException("connection refused"));
        }
        objects.remove(key);
    }

    List<String> lines(String key) {
        byte[] content = objects.get(key);
        if (content == null) {
            throw new AssertionError("no object " + key + "; have " + objects.keySet());
        }
        return Arrays.asList(new String(content, StandardCharsets.UTF_8).split("\n"));
    }
}
