/**
 * ingest-service: the HTTP edge for labelled feedback (port 8081).
 *
 * <p>{@link io.lorastream.ingest.FeedbackResource} reads a batch ({@link io.lorastream.ingest.FeedbackBatch}:
 * JSON object, array or NDJSON), refuses it whole with problem+json naming line and field, or sends
 * every item to {@code feedback} through {@link io.lorastream.ingest.FeedbackPublisher} and answers
 * 202 only after Kafka acknowledged all of them; 503 with Retry-After when Kafka is unreachable.
 * Bearer tokens: {@link io.lorastream.ingest.TenantAccess}. Settings: {@link io.lorastream.ingest.IngestConfig}.
 */
package io.lorastream.ingest;
