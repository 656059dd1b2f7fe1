package io.lorastream.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventJson;
import io.smallrye.mutiny.Uni;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;

/**
 * The base every adapter in the bucket is trained on: {@code adapters/base.json}, {"id", "sha256"}. The first trainer
 * to start writes it (a conditional write: of two trainers starting at once on different bases, one wins and the
 * other is refused); every later trainer, and every serving replica, compares its own base with it and refuses to
 * start on another. An adapter carries its base's sha256 too and is refused by a replica on another base
 * ({@code AdapterFiles.load}); this record stops a mismatched replica before it takes traffic.
 *
 * <p>Moving a bucket to another base is an operator's act: retire or offboard the old adapters, then delete
 * {@code adapters/base.json}; the next trainer claims the bucket for its base.
 */
public final class FleetBase {
    /** Not a tenant's folder: tenant names have no dot. */
    public static final String KEY = "adapters/base.json";

    /** How long a process starting during an S3 outage waits for the record before it starts unchecked. */
    public static final Duration PATIENCE = Duration.ofSeconds(60);

    public enum Outcome {
        /** this process wrote the record: the bucket is now bound to its base */
        CLAIMED,
        /** the record names this process's base */
        MATCHES,
        /** no record yet (serving before any trainer): nothing to compare */
        UNCLAIMED,
        /**
         * S3 did not answer within {@link #PATIENCE}: the process starts, since an outage must not stop it, and each
         * adapter's own base check still refuses a mismatched one at load
         */
        UNREACHABLE
    }

    /** A process on another base than the bucket's: not retriable, the process must not start. */
    public static final class MismatchException extends IllegalStateException {
        MismatchException(String message) {
            super(message);
        }
    }

    private final ObjectStore store;

    public FleetBase(ObjectStore store) {
        this.store = store;
    }

    /**
     * The check a process makes at start, {@code claim} for a trainer (which binds an unbound bucket), retried with
     * backoff through an S3 outage for at most {@link #PATIENCE}.
     *
     * @throws MismatchException when the bucket's base is another: the process must not start
     */
    public Outcome atStart(AdapterPublished.BaseModel mine, boolean claim) {
        return Uni.createFrom().item(() -> claim ? claimOrCheck(mine) : check(mine))
                .onFailure(ObjectStore.UnavailableException.class).retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(10))
                .expireIn(PATIENCE.toMillis())
                .onFailure(ObjectStore.UnavailableException.class).recoverWithItem(Outcome.UNREACHABLE)
                .await().indefinitely();
    }

    /** A line for the log about an outcome of {@link #atStart}: to be logged as a warning when {@link Outcome#UNREACHABLE}. */
    public static String describe(Outcome outcome, AdapterPublished.BaseModel mine) {
        return outcome == Outcome.UNREACHABLE
                ? KEY + " unreachable for " + PATIENCE + ": started without comparing base " + mine.sha256()
                        + " with the bucket's (each adapter's own check still applies)"
                : "base " + mine.id() + " (sha256 " + mine.sha256() + "): " + outcome + " (" + KEY + ")";
    }

    /** The trainer's check: binds an unbound bucket to {@code mine}, else compares. */
    public Outcome claimOrCheck(AdapterPublished.BaseModel mine) {
        if (store.putIfAbsent(KEY, encode(mine), "application/json")) {
            return Outcome.CLAIMED;
        }
        return check(mine);
    }

    /** Serving's check: compares with the bucket's base, if it has one yet. */
    public Outcome check(AdapterPublished.BaseModel mine) {
        Optional<byte[]> bytes = store.get(KEY);
        if (bytes.isEmpty()) {
            return Outcome.UNCLAIMED;
        }
        AdapterPublished.BaseModel bucket;
        try {
            bucket = EventJson.MAPPER.readValue(bytes.get(), AdapterPublished.BaseModel.class);
        } catch (IOException e) {
            throw new MismatchException(store.uri(KEY) + " is not a base record (" + e.getMessage() + "); delete it to let the next trainer write it");
        }
        if (!mine.sha256().equals(bucket.sha256())) {
            throw new MismatchException("this process runs base " + mine.id() + " (sha256 " + mine.sha256() + ") but the adapters in "
                    + store.uri(KEY) + " are trained on " + bucket.id() + " (sha256 " + bucket.sha256()
                    + "): set lorastream.base.dir to that base, or move the bucket to this one (docs/engine.md, Bases)");
        }
        return Outcome.MATCHES;
    }

    private static byte[] encode(AdapterPublished.BaseModel base) {
        try {
            return EventJson.MAPPER.writeValueAsBytes(base);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
