package io.lorastream.serving;

import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventSerde;
import io.lorastream.events.InvalidEventException;
import io.lorastream.events.ScoreCompleted;
import io.lorastream.events.ScoreRequested;
import io.lorastream.events.Topics;
import io.lorastream.store.ObjectStore;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Kafka-driven scoring: {@code score-requests} in (consumer group {@code lorastream-serving}, so replicas
 * share the partitions), {@code score-results} out with the same request id, prediction ids
 * {@code requestId:i} and the version stamped — a redelivered request yields the same ids. A request is
 * acknowledged only after its result (or its dead letter) is acknowledged by Kafka: at-least-once.
 * What can never be scored goes to {@code score-requests-dlq} with the reason; what could be later
 * (a first version still loading, S3 away) is retried with backoff for a while, then dead-lettered.
 */
@ApplicationScoped
public class KafkaScoring {
    private static final Logger LOG = Logger.getLogger(KafkaScoring.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
    /**
     * Well inside the throttled commit strategy's 60 s (unprocessed-record-max-age): a record held longer fails the
     * channel for every tenant. A version that cannot load is left by the rollout meanwhile (adapter-load-failed).
     */
    private static final Duration GIVE_UP_AFTER = Duration.ofSeconds(40);

    private final Scoring scoring;
    private final ServingConfig.Serving settings;
    private final ServingMetrics metrics;
    private final MutinyEmitter<ScoreCompleted> results;
    private final MutinyEmitter<DeadLetter> deadLetters;
    private final Deserializer<ScoreRequested> requests = EventSerde.of(ScoreRequested.class, KafkaSerdes.SOURCE).deserializer();
    private final Clock clock = Clock.systemUTC();

    KafkaScoring(Scoring scoring, ServingConfig config, ServingMetrics metrics,
                 @Channel("score-results") MutinyEmitter<ScoreCompleted> results,
                 @Channel("score-requests-dlq") MutinyEmitter<DeadLetter> deadLetters) {
        this.scoring = scoring;
        this.settings = config.serving();
        this.metrics = metrics;
        this.results = results;
        this.deadLetters = deadLetters;
    }

    @Incoming("score-requests")
    @Blocking(value = "score-requests", ordered = false) // concurrent requests share forwards in the scoring queue
    public void receive(ConsumerRecord<String, byte[]> record) {
        ScoreRequested request;
        try {
            request = requests.deserialize(record.topic(), record.headers(), record.value());
            if (request == null) {
                throw new InvalidEventException("an empty record is not a score request", List.of());
            }
            validate(request, record.key());
        } catch (RuntimeException invalid) {
            deadLetter(record, invalid.getMessage(), invalid instanceof InvalidEventException e ? e.errors() : List.of());
            return;
        }
        ScoreCompleted completed;
        try {
            completed = Uni.createFrom().item(() -> score(request))
                    .onFailure(KafkaScoring::retriable).retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).expireIn(GIVE_UP_AFTER.toMillis())
                    .await().indefinitely();
        } catch (ServedAdapters.NoAdapterException | ServedAdapters.AdapterNotReadyException | ObjectStore.UnavailableException
                 | ScoringQueue.OverloadedException | Scoring.TimedOutException e) {
            deadLetter(record, e.getMessage(), List.of());
            return;
        }
        results.sendMessage(Message.of(completed).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(completed.tenant()).build()))
                .onFailure().retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                .await().indefinitely();
    }

    private ScoreCompleted score(ScoreRequested request) {
        try {
            return scoring.score(request.requestId(), request.tenant(), request.texts(), ScoreCompleted.Source.KAFKA);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while scoring " + request.requestId(), e);
        }
    }

    private static boolean retriable(Throwable failure) {
        return failure instanceof ServedAdapters.AdapterNotReadyException || failure instanceof ObjectStore.UnavailableException
                || failure instanceof ScoringQueue.OverloadedException || failure instanceof Scoring.TimedOutException;
    }

    /** What the schema cannot say: the key is the tenant, and the service's limits. */
    private void validate(ScoreRequested request, String key) {
        if (!request.tenant().equals(key)) {
            throw new IllegalArgumentException("the record key " + key + " is not the request's tenant " + request.tenant()
                    + " (score-requests are keyed by tenant)");
        }
        Scoring.checkTexts(settings, request.texts());
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, String reason, List<String> errors) {
        metrics.rejected("dead-letter");
        DeadLetter letter = DeadLetter.of(record.topic(), record.partition(), record.offset(), record.key(), record.value(),
                reason == null ? "unreadable" : reason, errors, "serving-service", clock.instant());
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetter.REASON_HEADER, letter.reason().getBytes(StandardCharsets.UTF_8));
        LOG.warnf("score request %s-%d@%d dead-lettered: %s", record.topic(), record.partition(), record.offset(), letter.reason());
        deadLetters.sendMessage(Message.of(letter).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(record.key()).withTopic(Topics.SCORE_REQUESTS_DLQ).withHeaders(headers).build()))
                .onFailure().retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                .await().indefinitely();
    }
}
