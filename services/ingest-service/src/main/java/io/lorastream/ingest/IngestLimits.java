package io.lorastream.ingest;

import java.time.Duration;

/** {@link IngestConfig} checked: every error names the key and the value. */
public record IngestLimits(int maxBatchSize, int maxBodyBytes, int maxTextLength, Duration publishTimeout, Duration retryAfter) {
    /** The schema's own limit (feedback-received.v1.json). */
    static final int SCHEMA_MAX_TEXT = 20_000;

    public IngestLimits {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("lorastream.ingest.max-batch-size=" + maxBatchSize + ": must be at least 1");
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("lorastream.ingest.max-body-bytes=" + maxBodyBytes + ": must be at least 1");
        }
        if (maxTextLength < 1 || maxTextLength > SCHEMA_MAX_TEXT) {
            throw new IllegalArgumentException("lorastream.ingest.max-text-length=" + maxTextLength
                    + ": must be between 1 and " + SCHEMA_MAX_TEXT + " (the schema's limit)");
        }
        if (publishTimeout.isNegative() || publishTimeout.isZero()) {
            throw new IllegalArgumentException("lorastream.ingest.publish-timeout=" + publishTimeout + ": must be positive");
        }
        if (retryAfter.isNegative()) {
            throw new IllegalArgumentException("lorastream.ingest.retry-after=" + retryAfter + ": must not be negative");
        }
    }

    static IngestLimits from(IngestConfig config) {
        return new IngestLimits(config.maxBatchSize(), config.maxBodyBytes(), config.maxTextLength(),
                config.publishTimeout(), config.retryAfter());
    }
}
