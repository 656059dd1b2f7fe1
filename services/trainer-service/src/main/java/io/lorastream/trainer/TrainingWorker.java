package io.lorastream.trainer;

import io.lorastream.events.AdapterEvent;
import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventSerde;
import io.lorastream.events.InvalidEventException;
import io.lorastream.events.TenantOffboarded;
import io.lorastream.events.TenantOffboarding;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingFailed;
import io.lorastream.events.TrainingRequest;
import io.lorastream.events.TrainingRequested;
import io.lorastream.store.ObjectStore;
import io.smallrye.mutiny.Uni;
import io.lorastream.engine.BaseModel;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.event.Observes;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Consumes {@code training-requests} in the consumer group {@code lorastream-trainer}: more workers share
 * the tenants' partitions. Requests wait on a worker pool for their turn on the device
 * ({@link DeviceTurns}: one job at a time, tenants served round-robin); a request is
 * acknowledged — its offset committed — only after its outcome was acknowledged by Kafka, so a crash
 * redelivers it, and the job's idempotence turns that into the same version once.
 *
 * <p>Three outcomes, none of which stops the worker or another tenant:
 * <ul>
 *   <li>a version: {@code adapter-published} on {@code adapter-events};</li>
 *   <li>no version: {@code training-failed} on {@code adapter-events}, with the reason and the shards the
 *       tenant's next request should hold again — the data cannot make a version (a shard missing, fewer
 *       than two labels, a key S3 refuses) or the job broke;</li>
 *   <li>an offboarded tenant ({@code tenant-offboarding}): its adapters deleted, then {@code tenant-offboarded};</li>
 *   <li>a record that is not a request (not a valid event, a key outside the shard grammar, a record key
 *       that is not its tenant, a dataset snapshot that is missing or not the bytes the request names): a dead
 *       letter on {@code training-requests-dlq} with the reason.</li>
 * </ul>
 * Outages (S3 unreachable, the registry not readable) are retried with backoff: the same request succeeds
 * once they are over.
 */
@ApplicationScoped
public class TrainingWorker {
    private static final Logger LOG = Logger.getLogger(TrainingWorker.class);
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    static final String SERVICE = "trainer-service";
    /** The warm-up's turn on the device: not a tenant id (they never are empty). */
    private static final String WARM_UP_TURN = "";

    private final TrainingJob job;
    private final MutinyEmitter<AdapterEvent> events;
    private final MutinyEmitter<DeadLetter> deadLetters;
    private final TrainerMetrics metrics;
    private final Deserializer<TrainingRequest> requests = EventSerde.of(TrainingRequest.class, KafkaSerdes.SOURCE).deserializer();
    private final DeviceTurns turns = new DeviceTurns();
    private final Clock clock = Clock.systemUTC();
    /** The last failure that was retried, cleared by the next success: readiness shows it. */
    private final AtomicReference<String> lastFailure = new AtomicReference<>();

    TrainingWorker(TrainingJob job, @Channel("adapter-events") MutinyEmitter<AdapterEvent> events,
                   @Channel("training-requests-dlq") MutinyEmitter<DeadLetter> deadLetters, TrainerMetrics metrics) {
        this.job = job;
        this.events = events;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
    }

    /** Before requests if it can, never beside one: the warm-up takes a turn on the device like a job. */
    void warmUp(@Observes StartupEvent start, BaseModel base, TrainerConfig config) throws InterruptedException {
        turns.run(WARM_UP_TURN, () -> {
            TrainerBeans.warmUp(base, config);
            return null;
        });
    }

    @Incoming("training-requests")
    @Blocking(value = "training-requests", ordered = false) // many wait; DeviceTurns lets one run at a time
    public void receive(ConsumerRecord<String, byte[]> record) throws InterruptedException {
        TrainingRequest request;
        try {
            request = requests.deserialize(record.topic(), record.headers(), record.value());
            if (request == null) {
                throw new InvalidEventException("an empty record is not a training request", List.of());
            }
            if (!request.tenant().equals(record.key())) {
                throw new IllegalArgumentException("the record key " + record.key() + " is not the request's tenant " + request.tenant()
                        + " (training-requests are keyed by tenant)");
            }
        } catch (RuntimeException invalid) {
            deadLetter(record, invalid.getMessage(), invalid instanceof InvalidEventException e ? e.errors() : List.of());
            return;
        }
        if (request instanceof TenantOffboarding offboarding) {
            turns.run(request.tenant(), () -> {
                offboard(offboarding);
                return null;
            });
            return;
        }
        metrics.queued(request.tenant());
        turns.run(request.tenant(), () -> {
            TenantData.Resolved resolved = resolve(record, request);
            if (resolved != null) {
                train(resolved.request(), resolved.named(), resolved.erased());
            }
            return null;
        });
    }

    /**
     * The request with the shard lists its snapshot names (S3 outages retried with backoff), or null when the snapshot can
     * never be read as the request names it (missing, other bytes, another tenant's): then the record is dead-lettered.
     */
    private TenantData.Resolved resolve(ConsumerRecord<String, byte[]> record, TrainingRequest request) {
        long started = System.nanoTime();
        try {
            return Uni.createFrom().item(() -> job.resolve(request))
                    .onFailure(TrainingWorker::retriable).invoke(this::retrying)
                    .onFailure(TrainingWorker::retriable).retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                    .await().indefinitely();
        } catch (IllegalArgumentException | ObjectStore.RefusedException e) {
            deadLetter(record, "its dataset snapshot cannot be read: " + e.getMessage(), List.of());
            // still an answer to the tenant's request: the stream-processor's next request for it waits for one
            send(new TrainingFailed(request.requestId(), request.tenant(), TrainingFailed.Kind.REFUSED,
                    "dead-lettered: its dataset snapshot cannot be read: " + e.getMessage(), List.of(), clock.instant()), request.tenant());
            metrics.done(request.tenant(), "dead-lettered", Duration.ofNanos(System.nanoTime() - started), 0);
            return null;
        }
    }

    private void train(TrainingRequested request, java.util.Map<String, io.lorastream.events.DatasetSnapshot.Shard> named,
                       java.util.Set<String> erased) {
        long started = System.nanoTime();
        AdapterEvent outcome;
        io.lorastream.events.AdapterRetired retired = null;
        String label;
        double speed = 0;
        try {
            TrainingJob.Outcome done = Uni.createFrom().item(() -> job.run(request, named, erased))
                    .onFailure(TrainingWorker::retriable).invoke(this::retrying)
                    .onFailure(TrainingWorker::retriable).retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                    .await().indefinitely();
            outcome = done.event();
            retired = done.retired();
            label = done.alreadyPublished() ? "republished" : "published";
            speed = done.examplesPerSecond();
        } catch (TenantData.MissingShardException e) {
            // the shards that are there are good data: the next request holds them again
            outcome = failed(request, TrainingFailed.Kind.REFUSED, e.getMessage(),
                    request.shards().stream().filter(s -> !e.missing().contains(s)).toList());
            label = "refused";
        } catch (ObjectStore.RefusedException | IllegalArgumentException e) {
            // fewer than two labels, or S3 refuses a call: later data (a second label) may make these shards trainable
            outcome = failed(request, TrainingFailed.Kind.REFUSED, e.getMessage(), request.shards());
            label = "refused";
        } catch (TrainingJob.BaselineChanged e) {
            LOG.info(e.getMessage());
            outcome = failed(request, TrainingFailed.Kind.FAILED, e.getMessage(), request.shards());
            label = "baseline-changed";
        } catch (RuntimeException bug) {
            // not an outage: retrying would fail again and stop every tenant's training behind it
            LOG.errorf(bug, "training %s for %s failed", request.requestId(), request.tenant());
            outcome = failed(request, TrainingFailed.Kind.FAILED, bug.toString(), request.shards());
            label = "failed";
        }
        send(outcome, request.tenant());
        if (retired != null) {
            send(retired, request.tenant()); // after the version that let them go
        }
        lastFailure.set(null);
        metrics.done(request.tenant(), label, Duration.ofNanos(System.nanoTime() - started), speed);
    }

    /**
     * An offboarded tenant: its adapters are deleted (S3 outages retried with backoff), after every earlier request of the
     * tenant (its partition's order, its turn), then {@code tenant-offboarded} tells the rollout to forget it.
     */
    private void offboard(TenantOffboarding offboarding) {
        List<Integer> versions = Uni.createFrom().item(() -> job.forget(offboarding.tenant()))
                .onFailure(TrainingWorker::retriable).invoke(this::retrying)
                .onFailure(TrainingWorker::retriable).retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                .await().indefinitely();
        LOG.infof("%s offboarded (%s): adapters of %d versions deleted", offboarding.tenant(), offboarding.commandId(), versions.size());
        metrics.forget(offboarding.tenant());
        send(new TenantOffboarded(offboarding.tenant(), offboarding.commandId(), versions, clock.instant()), offboarding.tenant());
    }

    private void send(AdapterEvent event, String tenant) {
        events.sendMessage(Message.of(event).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(tenant).build()))
                .onFailure().invoke(this::retrying)
                .onFailure().retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                .await().indefinitely();
    }

    private TrainingFailed failed(TrainingRequested request, TrainingFailed.Kind kind, String reason, List<String> retryShards) {
        LOG.errorf("%s for %s produced no version (%s): %s; %d shards go into the tenant's next request",
                request.requestId(), request.tenant(), kind, reason, retryShards.size());
        return new TrainingFailed(request.requestId(), request.tenant(), kind, reason, retryShards, clock.instant());
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, String reason, List<String> errors) {
        DeadLetter letter = DeadLetter.of(record.topic(), record.partition(), record.offset(), record.key(), record.value(),
                reason == null ? "unreadable" : reason, errors, SERVICE, clock.instant());
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetter.REASON_HEADER, letter.reason().getBytes(StandardCharsets.UTF_8));
        LOG.warnf("training request %s-%d@%d dead-lettered: %s", record.topic(), record.partition(), record.offset(), letter.reason());
        metrics.deadLettered();
        deadLetters.sendMessage(Message.of(letter).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(record.key()).withTopic(Topics.TRAINING_REQUESTS_DLQ).withHeaders(headers).build()))
                .onFailure().invoke(this::retrying)
                .onFailure().retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                .await().indefinitely();
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
