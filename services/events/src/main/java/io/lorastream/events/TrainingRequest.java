package io.lorastream.events;

/**
 * A record on {@code training-requests}: {@link TrainingSnapshotRequested} (v2, what the stream-processor writes),
 * {@link TrainingRequested} (v1, the shards inline; still read), or {@link TenantOffboarding} (delete the tenant's adapters).
 */
public sealed interface TrainingRequest extends LoraEvent permits TrainingRequested, TrainingSnapshotRequested, TenantOffboarding {
    String requestId();

    String tenant();
}
