package io.lorastream.streams;

import io.lorastream.events.TrainingRequested.Trigger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** What the feedback topology did with each record, as counters on /q/metrics. */
public final class FeedbackMetrics {
    private final MeterRegistry registry;
    final Counter train;
    final Counter holdout;
    final Counter duplicates;
    final Counter shardWriteFailures;
    final Counter segments;
    final Counter compactionFailures;
    final Counter segmentsRetired;
    final Counter deleted;
    final Counter erasures;
    final Counter erased;

    public FeedbackMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.train = outcome("train");
        this.holdout = outcome("holdout");
        this.duplicates = outcome("duplicate");
        this.shardWriteFailures = Counter.builder("lorastream.feedback.shard.write.failures")
                .description("Shard or manifest writes to S3 that failed and will be retried").register(registry);
        this.segments = Counter.builder("lorastream.feedback.segments")
                .description("Segments written by compaction (training shards copied into one object)").register(registry);
        this.compactionFailures = Counter.builder("lorastream.feedback.compaction.failures")
                .description("Compactions that failed and will be tried again").register(registry);
        this.segmentsRetired = Counter.builder("lorastream.feedback.segments.retired")
                .description("Segments dropped by dataset retention (age or size)").register(registry);
        this.erasures = Counter.builder("lorastream.feedback.erasures").description("Right-to-erasure requests carried out (ERASE commands)")
                .register(registry);
        this.erased = outcome("erased");
        this.deleted = Counter.builder("lorastream.feedback.objects.deleted")
                .description("Dataset objects deleted after their grace period: compacted shards, unselected holdout, old snapshots, retired segments")
                .register(registry);
    }

    private Counter outcome(String outcome) {
        return Counter.builder("lorastream.feedback.records").tag("outcome", outcome)
                .description("Feedback records by what became of them").register(registry);
    }

    void deadLettered(String reason) {
        outcome("dead-letter").increment();
        Counter.builder("lorastream.feedback.dead.letters").tag("reason", reason)
                .description("Feedback records sent to feedback-dlq, by reason").register(registry).increment();
    }

    void sealed(DatasetKind kind) {
        Counter.builder("lorastream.feedback.shards").tag("kind", kind.name().toLowerCase())
                .description("Shards written to S3").register(registry).increment();
    }

    void requested(Trigger trigger) {
        Counter.builder("lorastream.training.requests").tag("trigger", trigger.name())
                .description("Training requests emitted").register(registry).increment();
    }
}
