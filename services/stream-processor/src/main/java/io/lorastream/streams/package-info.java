/**
 * stream-processor: every Kafka Streams topology of LoraStream, in one application (port 8084).
 *
 * <p>{@link io.lorastream.streams.TopologyProducer} composes the concerns:
 * {@link io.lorastream.streams.FeedbackDatasets}: feedback → deduplicated, split, sealed JSONL
 * shards in S3 ({@code datasets/{tenant}/shards|holdout/NNNNNN.jsonl} + {@code manifest.json}) and
 * training requests by each tenant's {@link io.lorastream.streams.TrainingPolicy}. Processing is
 * exactly-once v2; bad records go to {@code feedback-dlq} with the reason in a header.
 * {@link io.lorastream.streams.Rollout}: the rollout state machine, the only writer of
 * {@code adapter-registry} — offline gate, canary, live accuracy joined from {@code score-results} and
 * labelled feedback, promotion and roll-back by {@link io.lorastream.events.RolloutRule}, regression
 * watch, admin commands from {@code adapter-commands} (applied or refused with the reason); every
 * transition also an {@code adapter-lifecycle} event.
 * Configuration: {@link io.lorastream.streams.StreamProcessorConfig}.
 */
package io.lorastream.streams;
