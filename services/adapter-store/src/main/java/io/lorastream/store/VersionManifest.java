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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VersionManifest(
        String tenant,
        int version,
        Integer parentVersion,
        String trainingRequestId,
        AdapterPublished.BaseModel baseModel,
        List<String> shards,
        List<String> replayShards,
        List<String> holdoutShards,
        Map<String, Object> hyperParameters,
        AdapterPublished.Metrics metrics,
        AdapterPublished.Gate gate,
        Map<String, String> files,
        long durationMs,
        String device,
        Instant createdAt) {

    public static final String FILE = "manifest.json";

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
