/**
 * serving-service: one frozen base in memory, many tenants' adapters beside it (port 8083).
 *
 * <p>{@link io.lorastream.serving.RegistryFollower} reads the compacted {@code adapter-registry} (every
 * partition, no consumer group: each replica serves every tenant) and tells
 * {@link io.lorastream.serving.ServedAdapters} each tenant's version; it loads new versions in the
 * background through {@link io.lorastream.serving.AdapterLoader} (every sha256 checked, base checked)
 * and swaps them in atomically in the bytes-bounded LRU {@link io.lorastream.serving.AdapterCache};
 * refused versions become {@code adapter-load-failed} events and the old version keeps serving.
 * {@link io.lorastream.serving.ScoreResource} scores over REST; requests of all tenants share forwards in
 * {@link io.lorastream.serving.ScoringQueue} (mixed-adapter batches); every prediction is recorded on
 * {@code score-results}; a candidate answers its canary share ({@link io.lorastream.serving.Routing}) or
 * shadows stable. {@link io.lorastream.serving.AdminResource} turns admin requests into
 * {@code adapter-commands} and answers with the state machine's verdict, seen through
 * {@link io.lorastream.serving.RolloutView}. Settings: {@link io.lorastream.serving.ServingConfig}.
 *
 * <p>Choices: serving never writes the registry; a pin serves alone; a tenant without a version gets
 * 404, one whose first version is still loading 503 with Retry-After; predictions are recorded on
 * {@code score-results} without delaying the answer; an admin POST answers 200 only once this replica
 * serves the outcome.
 */
package io.lorastream.serving;
