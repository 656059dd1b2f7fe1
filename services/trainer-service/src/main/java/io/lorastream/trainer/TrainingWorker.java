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
import io.lorastream.engine.FusedTrainer;
import io.lorastream.engine.LoraConfig;
import io.lorastream.engine.Trainer;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.event.Observes;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * ({@link DeviceTurns}: one job at a time, tenants served round-robin). A job takes the next waiting request of up to
 * {@code fuse-tenants} tenants and trains their adapters together ({@link io.lorastream.engine.FusedTrainer}); each is
 * still read, graded, gated, published and answered on its own, and fails alone. A request is
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
    private final DeviceTurns<Waiting> turns = new DeviceTurns<>();
    /** At most this many tenants' requests train in one job ({@link TrainerConfig.Trainer#fuseTenants()}). */
    private final int fuseTenants;
    /** {@link TrainerConfig.Trainer#fuseMaxPadding()}. */
    private final double fuseMaxPadding;
    private final Clock clock = Clock.systemUTC();
    /** The last failure that was retried, cleared by the next success: readiness shows it. */
    private final AtomicReference<String> lastFailure = new AtomicReference<>();

    TrainingWorker(TrainingJob job, @Channel("adapter-events") MutinyEmitter<AdapterEvent> events,
                   @Channel("training-requests-dlq") MutinyEmitter<DeadLetter> deadLetters, TrainerMetrics metrics,
                   TrainerConfig config, BaseModel base) {
        this.job = job;
        this.fuseTenants = config.trainer().fuseTenants(base);
        this.fuseMaxPadding = config.trainer().fuseMaxPadding(base);
        this.events = events;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
    }

    /**
     * Before requests if it can, never beside one: the warm-up takes a turn on the device like a job. Not on the start-up
     * thread: requests are consumed from the start, and with a backlog its turn comes after a job of each waiting tenant;
     * start-up (HTTP, health) waited for all of them, and the local stack killed a trainer restarted under a backlog of
     * seven tenants for not listening within 60 s.
     */
    void warmUp(@Observes StartupEvent start, BaseModel base, TrainerConfig config) {
        Thread warmUp = new Thread(() -> {
            try {
                turns.run(WARM_UP_TURN, () -> {
                    TrainerBeans.warmUp(base, config);
                    return null;
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.warnf(e, "the warm-up failed; jobs run without it: %s", e.getMessage());
            }
        }, "trainer-warm-up");
        warmUp.setDaemon(true); // a stop does not wait for it
        warmUp.start();
    }

    @Incoming("training-requests")
    @Blocking(value = "training-requests", ordered = false) // many wait; DeviceTurns lets one job run at a time
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
        // the record is acknowledged when this returns: after its answer was sent, in whichever thread's turn trained it
        turns.runTogether(request.tenant(), new Waiting(record, request), fuseTenants, this::trainTogether);
    }

    /** A training request waiting for its turn on the device, with the record it came in. */
    private record Waiting(ConsumerRecord<String, byte[]> record, TrainingRequest request) {}

    /**
     * One job for the requests of one turn, each of another tenant: each is read and prepared on its own, their adapters
     * trained together ({@link #train}), then each is graded, published and answered on its own. A request that fails
     * fails alone, at whichever stage, with its answer.
     */
    private void trainTogether(List<Waiting> works) {
        long started = System.nanoTime();
        List<TrainingJob.Prepared> ready = new ArrayList<>();
        try {
            for (Waiting work : works) {
                TenantData.Resolved resolved = resolve(work.record(), work.request());
                if (resolved == null) {
                    continue;
                }
                TrainingRequested request = resolved.request();
                try {
                    TrainingJob.Prepared prepared = retried(() -> job.prepare(request, resolved.named(), resolved.erased()));
                    if (prepared.published() == null) {
                        ready.add(prepared);
                    } else {
                        prepared.close();
                        answer(request, prepared.published(), started);
                    }
                } catch (RuntimeException e) {
                    answer(request, e, started);
                }
            }
            List<Trained> trained = train(ready);
            for (int i = 0; i < ready.size(); i++) {
                TrainingJob.Prepared prepared = ready.get(i);
                Trained t = trained.get(i);
                try {
                    if (t.outcome().failure() != null) {
                        throw t.outcome().failure();
                    }
                    answer(prepared.request(), retried(() -> job.finish(prepared, t.outcome().result(), t.took())), started);
                } catch (RuntimeException e) {
                    answer(prepared.request(), e, started);
                }
            }
        } finally {
            ready.forEach(TrainingJob.Prepared::close);
        }
    }

    /** How a prepared request's training went, and how long it took (with the adapters it trained beside). */
    private record Trained(FusedTrainer.Outcome outcome, Duration took) {}

    /**
     * Trains the prepared candidates: one alone as {@link Trainer} does, several together in a {@link FusedTrainer} (those
     * with the same LoRA targets and dropout: a tenant's stable may be from other settings). In order of {@code ready}.
     */
    private List<Trained> train(List<TrainingJob.Prepared> ready) {
        Trained[] trained = new Trained[ready.size()];
        Map<List<Object>, List<Integer>> fusable = new LinkedHashMap<>();
        for (int i = 0; i < ready.size(); i++) {
            LoraConfig lora = ready.get(i).candidate().config();
            fusable.computeIfAbsent(List.of(lora.targetModules(), lora.loraDropout()), k -> new ArrayList<>()).add(i);
        }
        for (List<Integer> group : fusable.values()) {
            long started = System.nanoTime();
            List<FusedTrainer.Outcome> outcomes;
            try {
                outcomes = group.size() == 1 ? List.of(alone(ready.get(group.get(0)))) : together(group.stream().map(ready::get).toList());
            } catch (RuntimeException e) { // not one tenant's: all of them fail, with this reason
                outcomes = group.stream().map(i -> new FusedTrainer.Outcome(null, e)).toList();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            for (int k = 0; k < group.size(); k++) {
                trained[group.get(k)] = new Trained(outcomes.get(k), took);
            }
        }
        return List.of(trained);
    }

    private FusedTrainer.Outcome alone(TrainingJob.Prepared prepared) {
        return new FusedTrainer.Outcome(job.train(prepared), null);
    }

    private List<FusedTrainer.Outcome> together(List<TrainingJob.Prepared> prepared) {
        long started = System.nanoTime();
        FusedTrainer fused = new FusedTrainer(fuseMaxPadding);
        List<FusedTrainer.Outcome> outcomes = fused.train(prepared.stream()
                .map(p -> new FusedTrainer.Job(p.candidate(), p.examples(), null, job.training())).toList());
        FusedTrainer.Fusion fusion = fused.lastFusion();
        LOG.infof("trained %d tenants together (%s): %d steps in %d forwards, %d ms", prepared.size(),
                String.join(", ", prepared.stream().map(p -> p.request().tenant()).toList()), fusion.runSteps(), fusion.forwards(),
                Duration.ofNanos(System.nanoTime() - started).toMillis());
        return outcomes;
    }

    /**
     * The request with the shard lists its snapshot names (S3 outages retried with backoff), or null when the snapshot can
     * never be read as the request names it (missing, other bytes, another tenant's): then the record is dead-lettered.
     */
    private TenantData.Resolved resolve(ConsumerRecord<String, byte[]> record, TrainingRequest request) {
        long started = System.nanoTime();
        try {
            return retried(() -> job.resolve(request));
        } catch (IllegalArgumentException | ObjectStore.RefusedException e) {
            deadLetter(record, "its dataset snapshot cannot be read: " + e.getMessage(), List.of());
            // still an answer to the tenant's request: the stream-processor's next request for it waits for one
            send(new TrainingFailed(request.requestId(), request.tenant(), TrainingFailed.Kind.REFUSED,
                    "dead-lettered: its dataset snapshot cannot be read: " + e.getMessage(), List.of(), clock.instant()), request.tenant());
            metrics.done(request.tenant(), "dead-lettered", Duration.ofNanos(System.nanoTime() - started), 0);
            return null;
        }
    }

    /** A version: its event, then the versions retention let go. */
    private void answer(TrainingRequested request, TrainingJob.Outcome done, long started) {
        send(done.event(), request.tenant());
        if (done.retired() != null) {
            send(done.retired(), request.tenant()); // after the version that let them go
        }
        lastFailure.set(null);
        metrics.done(request.tenant(), done.alreadyPublished() ? "republished" : "published", Duration.ofNanos(System.nanoTime() - started),
                done.examplesPerSecond());
    }

    /** No version: {@code training-failed} with the reason and the shards the tenant's next request holds again. */
    private void answer(TrainingRequested request, RuntimeException failure, long started) {
        TrainingFailed outcome;
        String label;
        if (failure instanceof TenantData.MissingShardException e) {
            // the shards that are there are good data: the next request holds them again
            outcome = failed(request, TrainingFailed.Kind.REFUSED, e.getMessage(),
                    request.shards().stream().filter(s -> !e.missing().contains(s)).toList());
            label = "refused";
        } else if (failure instanceof ObjectStore.RefusedException || failure instanceof IllegalArgumentException) {
            // fewer than two labels, or S3 refuses a call: later data (a second label) may make these shards trainable
            outcome = failed(request, TrainingFailed.Kind.REFUSED, failure.getMessage(), request.shards());
            label = "refused";
        } else if (failure instanceof TrainingJob.BaselineChanged) {
            LOG.info(failure.getMessage());
            outcome = failed(request, TrainingFailed.Kind.FAILED, failure.getMessage(), request.shards());
            label = "baseline-changed";
        } else {
            // not an outage: retrying would fail again and stop every tenant's training behind it
            LOG.errorf(failure, "training %s for %s failed", request.requestId(), request.tenant());
            outcome = failed(request, TrainingFailed.Kind.FAILED, failure.toString(), request.shards());
            label = "failed";
        }
        send(outcome, request.tenant());
        lastFailure.set(null);
        metrics.done(request.tenant(), label, Duration.ofNanos(System.nanoTime() - started), 0);
    }

    /** {@code call}, retried with backoff through outages (S3, the registry): the same call succeeds once they are over. */
    private <T> T retried(java.util.function.Supplier<T> call) {
        return Uni.createFrom().item(call)
                .onFailure(TrainingWorker::retriable).invoke(this::retrying)
                .onFailure(TrainingWorker::retriable).retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                .await().indefinitely();
    }

    /**
     * An offboarded tenant: its adapters are deleted (S3 outages retried with backoff), after every earlier request of the
     * tenant (its partition's order, its turn), then {@code tenant-offboarded} tells the rollout to forget it.
     */
    private void offboard(TenantOffboarding offboarding) {
        List<Integer> versions = retried(() -> job.forget(offboarding.tenant()));
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
