/**
 * stream-processor: every Kafka Streams topology of LoraStream, in one application (port 8084).
 *
 * <p>{@link io.lorastream.streams.TopologyProducer} composes the concerns; so far
 * {@link io.lorastream.streams.FeedbackDatasets}: feedback → deduplicated, split, sealed JSONL
 * shards in S3 ({@code datasets/{tenant}/shards|holdout/NNNNNN.jsonl} + {@code manifest.json}) and
 * training requests by each tenant's {@link io.lorastream.streams.TrainingPolicy}. Processing is
 * exactly-once v2; bad records go to {@code feedback-dlq} with the reason in a header.
 * Configuration: {@link io.lorastream.streams.StreamProcessorConfig}.
 */
package io.lorastream.streams;
