package io.lorastream.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.lorastream.engine.AdapterFiles;
import io.lorastream.events.EventJson;
import io.lorastream.events.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Adapter versions in S3: {@code adapters/{tenant}/v{n}/} in PEFT's layout plus {@code manifest.json},
 * which is written last. A version exists only once its manifest does.
 *
 * <p>A number is taken exclusively before anything is written under it: {@code v{n}/claim} is created with
 * S3's conditional write ({@code If-None-Match: *}) and names the training request and the attempt. Two
 * trainers publishing for one tenant at once (a rebalance, a rolling update) never share a number: the
 * loser takes the next free one. Two attempts of the <em>same</em> request (the request redelivered to a
 * second worker while the first still runs) publish it once: the later one waits for the first's manifest
 * and returns it, or, when the claim is older than {@link #CLAIM_LEASE} without a manifest (its attempt
 * crashed mid-upload), takes it over and overwrites what that attempt left. A published number is never
 * reused; a number claimed by an attempt that died is reused only by the same request.
 */
public final class AdapterRepository {
    private static final Pattern MANIFEST_KEY = Pattern.compile("^adapters/[a-z0-9][a-z0-9-]*/v(\\d+)/manifest\\.json$");

    private final ObjectStore store;

    public AdapterRepository(ObjectStore store) {
        this.store = store;
    }

    /** Every published version of the tenant, oldest first. */
    public List<VersionManifest> versions(String tenant) {
        List<VersionManifest> versions = new ArrayList<>();
        for (String key : store.list(VersionManifest.prefix(tenant))) {
            Matcher m = MANIFEST_KEY.matcher(key);
            if (m.matches()) {
                store.get(key).ifPresent(bytes -> versions.add(VersionManifest.parse(store.uri(key), bytes)));
            }
        }
        versions.sort(Comparator.comparingInt(VersionManifest::version));
        return versions;
    }

    /**
     * Deletes a version: its manifest first, so that it stops existing at once (a reader never finds a manifest whose files
     * are gone), then every other object under {@code v{n}/}. Its number is never taken again: the newest versions are
     * never retired, and a new number is always above the newest manifest.
     */
    public void retire(String tenant, int version) {
        store.delete(VersionManifest.key(tenant, version));
        for (String key : store.list(VersionManifest.dir(tenant, version))) {
            store.delete(key);
        }
    }

    /**
     * Deletes every object of an offboarded tenant under {@code adapters/{tenant}/}: each version's manifest first (as
     * {@link #retire}), then the rest — claims, files, replay samples, a crashed attempt's leftovers.
     *
     * @return the versions that had a manifest
     */
    public List<Integer> forget(String tenant) {
        List<Integer> versions = versions(tenant).stream().map(VersionManifest::version).toList();
        for (int v : versions) {
            store.delete(VersionManifest.key(tenant, v));
        }
        for (String key : store.list(VersionManifest.prefix(tenant))) {
            store.delete(key);
        }
        return versions;
    }

    /** The version a training request already produced (a redelivered request publishes nothing new). */
    public static Optional<VersionManifest> byRequest(List<VersionManifest> versions, String requestId) {
        return versions.stream().filter(v -> requestId.equals(v.trainingRequestId())).findFirst();
    }

    public static int nextVersion(List<VersionManifest> versions) {
        return versions.stream().mapToInt(VersionManifest::version).max().orElse(0) + 1;
    }

    /** Fetches a version's adapter files into {@code dir}, each checked against the manifest's sha256. */
    public Path download(VersionManifest version, Path dir) {
        try {
            Files.createDirectories(dir);
            for (String file : AdapterFiles.FILES) {
                String key = VersionManifest.dir(version.tenant(), version.version()) + file;
                byte[] content = store.get(key).orElseThrow(() -> new IllegalStateException(store.uri(key) + " is missing"));
                String expected = version.files().get(file);
                String actual = Sha256.hex(content);
                if (!actual.equals(expected)) {
                    throw new IllegalStateException(store.uri(key) + ": sha256 " + actual + " is not the manifest's " + expected);
                }
                Files.write(dir.resolve(file), content);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A version's replay sample ({@link VersionManifest#REPLAY_SAMPLE}), checked against the sha256 its manifest gives; empty
     * for a version without one.
     *
     * @throws IllegalStateException the object is missing or is not those bytes
     */
    public Optional<byte[]> replaySample(VersionManifest version) {
        if (version.replaySample() == null) {
            return Optional.empty();
        }
        String key = VersionManifest.dir(version.tenant(), version.version()) + VersionManifest.REPLAY_SAMPLE;
        byte[] content = store.get(key).orElseThrow(() -> new IllegalStateException(store.uri(key) + " is missing"));
        String actual = Sha256.hex(content);
        if (!actual.equals(version.replaySample().sha256())) {
            throw new IllegalStateException(store.uri(key) + ": sha256 " + actual + " is not the manifest's " + version.replaySample().sha256());
        }
        return Optional.of(content);
    }

    /** What {@link #publish} wrote: the manifest, and the sha256 of every file including the manifest. */
    public record Published(VersionManifest manifest, Map<String, String> files) {}

    /** An upload takes seconds; a claim this old without a manifest belongs to an attempt that died. */
    public static final java.time.Duration CLAIM_LEASE = java.time.Duration.ofSeconds(60);
    static final String CLAIM = "claim";

    /**
     * Takes the first free number from {@code draft.version()} on, uploads the adapter files of {@code dir}
     * under it, then the manifest (with their sha256s) last. When another attempt of the same request
     * published meanwhile, returns that version and writes nothing.
     */
    public Published publish(VersionManifest draft, Path dir) {
        String attempt = java.util.UUID.randomUUID().toString();
        int number = draft.version();
        while (true) {
            Claim claim = claim(draft.tenant(), number, draft.trainingRequestId(), attempt);
            if (claim == Claim.OURS) {
                return upload(draft.numbered(number), dir);
            }
            if (claim == Claim.PUBLISHED_BY_US) {
                String key = VersionManifest.key(draft.tenant(), number);
                return published(VersionManifest.parse(store.uri(key), store.get(key).orElseThrow()));
            }
            number++; // another request's number
        }
    }

    private enum Claim { OURS, PUBLISHED_BY_US, OTHERS }

    private Claim claim(String tenant, int number, String requestId, String attempt) {
        String key = VersionManifest.dir(tenant, number) + CLAIM;
        byte[] ours = (requestId + "\n" + attempt + "\n" + java.time.Instant.now()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + CLAIM_LEASE.multipliedBy(2).toNanos();
        while (true) {
            if (store.putIfAbsent(key, ours, "text/plain")) {
                return Claim.OURS;
            }
            Optional<byte[]> held = store.get(key);
            if (held.isEmpty()) {
                continue; // gone between the two calls: try again
            }
            String[] fields = new String(held.get(), java.nio.charset.StandardCharsets.UTF_8).split("\n");
            if (!fields[0].equals(requestId)) {
                return Claim.OTHERS;
            }
            if (store.get(VersionManifest.key(tenant, number)).isPresent()) {
                return Claim.PUBLISHED_BY_US; // the same request, published by another attempt: ours would be a duplicate
            }
            java.time.Instant claimedAt = fields.length > 2 ? java.time.Instant.parse(fields[2]) : java.time.Instant.EPOCH;
            if (claimedAt.plus(CLAIM_LEASE).isBefore(java.time.Instant.now()) || System.nanoTime() > deadline) {
                store.put(key, ours, "text/plain"); // that attempt died mid-upload: take over its number
                return Claim.OURS;
            }
            try {
                Thread.sleep(500); // that attempt is uploading: its manifest comes within seconds
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + store.uri(key), e);
            }
        }
    }

    private Published upload(VersionManifest draft, Path dir) {
        String prefix = VersionManifest.dir(draft.tenant(), draft.version());
        Map<String, String> files = new LinkedHashMap<>();
        try {
            for (String file : AdapterFiles.FILES) {
                byte[] content = Files.readAllBytes(dir.resolve(file));
                store.put(prefix + file, content, file.endsWith(".json") ? "application/json" : "application/octet-stream");
                files.put(file, Sha256.hex(content));
            }
            if (draft.replaySample() != null) {
                byte[] sample = Files.readAllBytes(dir.resolve(VersionManifest.REPLAY_SAMPLE));
                if (!Sha256.hex(sample).equals(draft.replaySample().sha256())) {
                    throw new IllegalStateException(dir.resolve(VersionManifest.REPLAY_SAMPLE) + " is not the sample the manifest names (sha256)");
                }
                store.put(prefix + VersionManifest.REPLAY_SAMPLE, sample, "application/x-ndjson");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        VersionManifest manifest = draft.withFiles(files);
        byte[] json;
        try {
            json = EventJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("manifest of " + prefix + " is not writable", e);
        }
        store.put(prefix + VersionManifest.FILE, json, "application/json");
        Map<String, String> all = new LinkedHashMap<>(files);
        all.put(VersionManifest.FILE, Sha256.hex(json));
        return new Published(manifest, all);
    }

    /** A version published earlier, as {@link #publish} returned it (for a redelivered request). */
    public Published published(VersionManifest manifest) {
        String key = VersionManifest.dir(manifest.tenant(), manifest.version()) + VersionManifest.FILE;
        byte[] json = store.get(key).orElseThrow(() -> new IllegalStateException(store.uri(key) + " vanished"));
        Map<String, String> all = new LinkedHashMap<>(manifest.files());
        all.put(VersionManifest.FILE, Sha256.hex(json));
        return new Published(manifest, all);
    }

    public String uri(String tenant, int version) {
        return store.uri(VersionManifest.dir(tenant, version));
    }
}
