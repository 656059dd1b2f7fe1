package io.lorastream.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventJson;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code adapters/{tenant}/v{n}/manifest.json}, written last: a version without it does not exist.
 * Lineage (base, data, parent, hyper-parameters), the offline evaluation and every file's sha256.
 *
 * @param parentVersion   the version it was warm-started from: the registry's stable when the job started; absent for a fresh adapter
 * @param baselineVersion the version the offline gate compared it with (the same stable, also when it trained fresh); absent for none
 * @param replayShards    older shards it replayed (versions published before replay samples, 2026-12-05; empty since: what
 *                        a version replays comes from its parent's {@link #replaySample})
 * @param replayPool      a bounded sample of the shards its line was trained on (versions published on 2026-12-04 only): read
 *                        once, as the sample of a stable from then
 * @param replaySample    the bounded sample of its line's examples that versions built on it replay from ({@link #REPLAY_SAMPLE}
 *                        in its folder, not one of its adapter files: serving never reads it); absent before 2026-12-05
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VersionManifest(
        String tenant,
        int version,
        Integer parentVersion,
        Integer baselineVersion,
        String trainingRequestId,
        AdapterPublished.BaseModel baseModel,
        List<String> shards,
        List<String> replayShards,
        List<String> holdoutShards,
        List<String> replayPool,
        ReplaySample replaySample,
        Map<String, Object> hyperParameters,
        AdapterPublished.Metrics metrics,
        AdapterPublished.Gate gate,
        Map<String, String> files,
        long durationMs,
        String device,
        Instant createdAt) {

    public static final String FILE = "manifest.json";
    /** The replay sample's object in a version's folder: feedback events, one per line, as in a dataset shard. */
    public static final String REPLAY_SAMPLE = "replay-sample.jsonl";

    /** The replay sample's size and sha256 (its bytes are checked against it when read). */
    public record ReplaySample(int examples, String sha256) {}

    /** This manifest under another number (the one {@link AdapterRepository#publish} could claim). */
    public VersionManifest numbered(int number) {
        return new VersionManifest(tenant, number, parentVersion, baselineVersion, trainingRequestId, baseModel, shards, replayShards,
                holdoutShards, replayPool, replaySample, hyperParameters, metrics, gate, files, durationMs, device, createdAt);
    }

    /** This manifest with the files' sha256s, as {@link AdapterRepository#publish} writes it. */
    public VersionManifest withFiles(Map<String, String> files) {
        return new VersionManifest(tenant, version, parentVersion, baselineVersion, trainingRequestId, baseModel, shards, replayShards,
                holdoutShards, replayPool, replaySample, hyperParameters, metrics, gate, Map.copyOf(files), durationMs, device, createdAt);
    }

    public static String prefix(String tenant) {
        return "adapters/" + tenant + "/";
    }

    public static String dir(String tenant, int version) {
        return prefix(tenant) + "v" + version + "/";
    }

    public static String key(String tenant, int version) {
        return dir(tenant, version) + FILE;
    }

    /** @param where names the object in the error */
    public static VersionManifest parse(String where, byte[] json) {
        try {
            return EventJson.MAPPER.readValue(json, VersionManifest.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(where + " is not a version manifest: " + e.getMessage(), e);
        }
    }
}
