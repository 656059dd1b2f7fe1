package io.lorastream.events;

/**
 * A record on {@code training-requests}: {@link TrainingSnapshotRequested} (v2, what the stream-processor writes),
 * or {@link TrainingRequested} (v1, the shards inline; still read).
 */
public sealed interface TrainingRequest extends LoraEvent permits TrainingRequested, TrainingSnapshotRequested {
    String requestId();

    String tenant();
}
