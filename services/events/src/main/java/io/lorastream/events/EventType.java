package io.lorastream.events;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Every CloudEvent type LoraStream writes, the schema its data follows, and its Java record. */
public enum EventType {
    FEEDBACK_RECEIVED("io.lorastream.feedback.received.v1", "feedback-received.v1.json", FeedbackReceived.class),
    TRAINING_REQUESTED("io.lorastream.training.requested.v1", "training-requested.v1.json", TrainingRequested.class),
    TRAINING_SNAPSHOT_REQUESTED("io.lorastream.training.requested.v2", "training-requested.v2.json", TrainingSnapshotRequested.class),
    TENANT_OFFBOARDING("io.lorastream.tenant.offboarding.v1", "tenant-offboarding.v1.json", TenantOffboarding.class),
    TENANT_OFFBOARDED("io.lorastream.tenant.offboarded.v1", "tenant-offboarded.v1.json", TenantOffboarded.class),
    TRAINING_FAILED("io.lorastream.training.failed.v1", "training-failed.v1.json", TrainingFailed.class),
    ADAPTER_PUBLISHED("io.lorastream.adapter.published.v1", "adapter-published.v1.json", AdapterPublished.class),
    ADAPTER_LIFECYCLE("io.lorastream.adapter.lifecycle.v1", "adapter-lifecycle.v1.json", AdapterLifecycle.class),
    ADAPTER_LOAD_FAILED("io.lorastream.adapter.load-failed.v1", "adapter-load-failed.v1.json", AdapterLoadFailed.class),
    ADAPTER_RETIRED("io.lorastream.adapter.retired.v1", "adapter-retired.v1.json", AdapterRetired.class),
    ADAPTER_COMMAND("io.lorastream.adapter.command.v1", "adapter-command.v1.json", AdapterCommand.class),
    REGISTRY_ENTRY("io.lorastream.registry.entry.v1", "registry-entry.v1.json", RegistryEntry.class),
    SCORE_REQUESTED("io.lorastream.score.requested.v1", "score-requested.v1.json", ScoreRequested.class),
    SCORE_COMPLETED("io.lorastream.score.completed.v1", "score-completed.v1.json", ScoreCompleted.class),
    DEAD_LETTER("io.lorastream.dlq.record.v1", "dlq-record.v1.json", DeadLetter.class);

    /** Schemas are published under this base; {@link EventSchemas} maps it to the classpath. */
    public static final String SCHEMA_BASE = "https://schemas.lorastream.io/";

    private final String type;
    private final String schemaFile;
    private final Class<? extends LoraEvent> javaType;

    EventType(String type, String schemaFile, Class<? extends LoraEvent> javaType) {
        this.type = type;
        this.schemaFile = schemaFile;
        this.javaType = javaType;
    }

    /** The CloudEvent {@code type} attribute. */
    public String type() { return type; }

    public String schemaFile() { return schemaFile; }

    public URI dataSchema() { return URI.create(SCHEMA_BASE + schemaFile); }

    public Class<? extends LoraEvent> javaType() { return javaType; }

    public static Optional<EventType> ofCloudEventType(String type) {
        return Arrays.stream(values()).filter(t -> t.type.equals(type)).findFirst();
    }

    public static EventType of(LoraEvent event) {
        return Arrays.stream(values()).filter(t -> t.javaType == event.getClass()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no event type for " + event.getClass()));
    }

    /** The types whose records are a {@code base}: one for most topics, three for adapter-events. */
    public static List<EventType> assignableTo(Class<?> base) {
        return Arrays.stream(values()).filter(t -> base.isAssignableFrom(t.javaType)).toList();
    }
}
