/**
 * The scale test ({@code ./lorastream bench history}): a year of history for a thousand tenants, without waiting a
 * year. {@link io.lorastream.bench.history.TrafficModel} says who sends what in each step;
 * {@link io.lorastream.bench.history.SimulatedStreamProcessor} runs the stream-processor's real topology on it in
 * simulated time, its datasets in a real S3 server; {@link io.lorastream.bench.history.TrainerRuns} runs the trainer's
 * real jobs on the requests it makes; {@link io.lorastream.bench.history.ChangelogRestore} times a restart that restores
 * every store from a real broker; {@link io.lorastream.bench.history.YearOfHistory} measures after the first day and
 * after the last, and prints the table of docs/bounds.md.
 */
package io.lorastream.bench.history;
