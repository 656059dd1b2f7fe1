package io.lorastream.serving;

import io.lorastream.engine.Adapter;
import io.lorastream.engine.AdapterFiles;
import io.lorastream.engine.BaseModel;
import io.lorastream.events.RegistryEntry.VersionRef;
import io.lorastream.events.Sha256;
import io.lorastream.store.AdapterRepository;
import io.lorastream.store.ObjectStore;
import io.lorastream.store.VersionManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Fetches a version from S3 and loads it over this replica's base, checking on the way: the manifest
 * exists (a version without one is incomplete), its sha256 is the registry's, it names this tenant,
 * version and base, and every file's sha256 is the manifest's. Anything else is refused with the reason;
 * nothing half-loaded comes out.
 */
final class AdapterLoader {
    private final BaseModel base;
    private final ObjectStore store;
    private final AdapterRepository repository;

    AdapterLoader(BaseModel base, ObjectStore store) {
        this.base = base;
        this.store = store;
        this.repository = new AdapterRepository(store);
    }

    /**
     * @throws RefusedVersionException the version is incomplete, corrupt or for another base (retrying will not help)
     * @throws ObjectStore.UnavailableException S3 failed (retry later)
     */
    ResidentAdapter load(String slot, VersionRef ref) {
        String tenant = Slots.tenant(slot);
        String where = tenant + " v" + ref.version();
        String key = VersionManifest.key(tenant, ref.version());
        byte[] json = store.get(key).orElseThrow(() -> new RefusedVersionException(where + ": " + store.uri(key)
                + " does not exist (the version is incomplete or was never published)"));
        String manifestSha = Sha256.hex(json);
        if (ref.manifestSha256() != null && !ref.manifestSha256().equals(manifestSha)) {
            throw new RefusedVersionException(where + ": " + store.uri(key) + " has sha256 " + manifestSha
                    + ", the registry names " + ref.manifestSha256());
        }
        VersionManifest manifest;
        try {
            manifest = VersionManifest.parse(store.uri(key), json);
        } catch (IllegalStateException e) {
            throw new RefusedVersionException(where + ": " + e.getMessage(), e);
        }
        if (!tenant.equals(manifest.tenant()) || manifest.version() != ref.version()) {
            throw new RefusedVersionException(where + ": the manifest describes " + manifest.tenant() + " v" + manifest.version());
        }
        if (manifest.baseModel() == null || !base.sha256().equals(manifest.baseModel().sha256())) {
            throw new RefusedVersionException(where + " was trained on base "
                    + (manifest.baseModel() == null ? "(none named)" : manifest.baseModel().id() + " sha256 " + manifest.baseModel().sha256())
                    + "; this replica serves " + base.id() + " sha256 " + base.sha256());
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("lorastream-adapter-");
            try {
                repository.download(manifest, dir); // every file against the manifest's sha256
            } catch (IllegalStateException e) {
                throw new RefusedVersionException(where + ": " + e.getMessage(), e);
            }
            Adapter adapter;
            try {
                adapter = AdapterFiles.load(dir, base);
            } catch (RuntimeException e) { // the files are the published ones: what does not load is incompatible
                throw new RefusedVersionException(where + ": " + e.getMessage(), e);
            }
            return new ResidentAdapter(slot, ref, adapter);
        } catch (IOException e) {
            throw new UncheckedIOException("no temporary directory for " + where, e);
        } finally {
            deleteQuietly(dir);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }

    /** The version cannot be served by this replica: the reason says why. Not retriable. */
    static final class RefusedVersionException extends RuntimeException {
        RefusedVersionException(String message) {
            super(message);
        }

        RefusedVersionException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
