package io.lorastream.ingest;

import io.lorastream.events.FeedbackReceived;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Sends a batch to the {@code feedback} topic, key = tenant, and completes only when Kafka has
 * acknowledged every record (acks=all, idempotent producer: see application.properties).
 */
@ApplicationScoped
public class FeedbackPublisher {
    private final MutinyEmitter<FeedbackReceived> emitter;
    private final IngestConfig limits;

    FeedbackPublisher(@Channel("feedback") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 200_000)
                      MutinyEmitter<FeedbackReceived> emitter, IngestConfig limits) {
        this.emitter = emitter;
        this.limits = limits;
    }

    /** Fails with {@link KafkaUnavailableException} when any record is not acknowledged in time. */
    public Uni<Void> publish(List<FeedbackReceived> batch) {
        List<Uni<Void>> acks = new ArrayList<>(batch.size());
        try {
            for (FeedbackReceived event : batch) {
                Message<FeedbackReceived> message = Message.of(event)
                        .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(event.tenant()).build());
                acks.add(emitter.sendMessage(message));
            }
        } catch (RuntimeException overflowOrClosed) {
            // the emitter's buffer is full or the channel is down: the client retries later
            return Uni.createFrom().failure(new KafkaUnavailableException("cannot queue feedback for Kafka: " + overflowOrClosed.getMessage(), overflowOrClosed));
        }
        return Uni.join().all(acks).andFailFast()
                .ifNoItem().after(limits.publishTimeout())
                .failWith(() -> new KafkaUnavailableException("Kafka did not acknowledge the batch within " + limits.publishTimeout(), null))
                .onFailure(f -> !(f instanceof KafkaUnavailableException))
                .transform(f -> new KafkaUnavailableException("Kafka refused the batch: " + f.getMessage(), f))
                .replaceWithVoid();
    }

    /** Retriable: Kafka is unreachable or slow; the request may be sent again (ids make it safe). */
    public static class KafkaUnavailableException extends RuntimeException {
        public KafkaUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
