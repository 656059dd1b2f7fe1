package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;

/** The data of a LoraStream CloudEvent. */
public sealed interface LoraEvent
        permits FeedbackReceived, TrainingRequest, AdapterEvent, AdapterCommand, RegistryEntry,
                ScoreRequested, ScoreCompleted, DeadLetter {

    /** Deterministic: the same event written twice (a retry, a redelivery) has the same id. */
    @JsonIgnore
    String cloudEventId();

    /** The Kafka key and CloudEvent subject: the tenant for every tenant-scoped event. */
    @JsonIgnore
    String kafkaKey();

    /** When it happened: the CloudEvent {@code time}. */
    @JsonIgnore
    Instant occurredAt();
}
