/**
 * trainer-service: training workers (port 8082).
 *
 * <p>{@link io.lorastream.trainer.TrainingWorker} takes {@code training-requests} one at a time and runs
 * a {@link io.lorastream.trainer.TrainingJob} on the base model loaded once per worker (CUDA when
 * present, else CPU: {@code lorastream.trainer.device}); {@link io.lorastream.store.AdapterRepository}
 * publishes {@code adapters/{tenant}/v{n}/} with the manifest last; then {@code adapter-published} goes
 * to {@code adapter-events}. Settings: {@link io.lorastream.trainer.TrainerConfig}.
 */
package io.lorastream.trainer;
