package io.lorastream.trainer;

import io.lorastream.store.ObjectStore;

import io.lorastream.events.AdapterPublished;
import io.lorastream.events.TrainingRequested;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Consumes {@code training-requests} in the consumer group {@code lorastream-trainer}: more workers share
 * the tenants' partitions. Requests wait on a worker pool for their turn on the device
 * ({@link DeviceTurns}: one job at a time, tenants served round-robin); a request is
 * acknowledged — its offset committed — only after its {@code adapter-published} event was acknowledged
 * by Kafka, so a crash redelivers it, and the job's idempotence turns that into the same version once.
 */
@ApplicationScoped
public class TrainingWorker {
    private static final Logger LOG = Logger.getLogger(TrainingWorker.class);
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final TrainingJob job;
    private final MutinyEmitter<AdapterPublished> events;
    private final TrainerMetrics metrics;
    private final DeviceTurns turns = new DeviceTurns();
    /** The last failure that was retried, cleared by the next success: readiness shows it. */
    private final AtomicReference<String> lastFailure = new AtomicReference<>();

    TrainingWorker(TrainingJob job, @Channel("adapter-events") MutinyEmitter<AdapterPublished> events, TrainerMetrics metrics) {
        this.job = job;
        this.events = events;
        this.metrics = metrics;
    }

    @Incoming("training-requests")
    @Blocking(value = "training-requests", ordered = false) // many wait; DeviceTurns lets one run at a time
    public void receive(TrainingRequested request) throws InterruptedException {
        if (request == null) {
            LOG.error("skipped a training request that is not a valid event (see the deserializer's log line)");
            return;
        }
        metrics.queued(request.tenant());
        turns.run(request.tenant(), () -> {
            train(request);
            return null;
        });
    }

    private void train(TrainingRequested request) {
        long started = System.nanoTime();
        try {
            TrainingJob.Outcome outcome = Uni.createFrom().item(() -> job.run(request))
                    .onFailure(TrainingWorker::retriable).invoke(this::retrying)
                    .onFailure(TrainingWorker::retriable).retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                    .await().indefinitely();
            Message<AdapterPublished> message = Message.of(outcome.event())
                    .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(request.tenant()).build());
            events.sendMessage(message)
                    .onFailure().invoke(this::retrying)
                    .onFailure().retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                    .await().indefinitely();
            lastFailure.set(null);
            metrics.done(request.tenant(), outcome.alreadyPublished() ? "republished" : "published",
                    Duration.ofNanos(System.nanoTime() - started), outcome.examplesPerSecond());
        } catch (TenantData.MissingShardException | IllegalArgumentException refused) {
            // the same request would fail the same way: skip it, loudly (there is no DLQ for requests)
            LOG.errorf("refusing %s for %s: %s", request.requestId(), request.tenant(), refused.getMessage());
            metrics.done(request.tenant(), "refused", Duration.ofNanos(System.nanoTime() - started), 0);
        } catch (RuntimeException bug) {
            // not a retriable outage: retrying would fail again and stop every tenant's training behind it
            LOG.errorf(bug, "training %s for %s failed; skipping it", request.requestId(), request.tenant());
            metrics.done(request.tenant(), "failed", Duration.ofNanos(System.nanoTime() - started), 0);
        }
    }

    /** An outage of S3 or of the broker: the same request will succeed once it is over. */
    private static boolean retriable(Throwable failure) {
        return failure instanceof ObjectStore.UnavailableException || failure instanceof StableVersions.Unavailable;
    }

    private void retrying(Throwable failure) {
        lastFailure.set(failure.getMessage());
        LOG.warnf("will retry with backoff: %s", failure.getMessage());
    }

    /** Null while jobs succeed. */
    public String lastFailure() {
        return lastFailure.get();
    }
}
