package io.lorastream.events;

/**
 * What travels on {@code adapter-events}: a published version, a rollout transition, a version serving
 * refused, versions retention retired, a training request that produced no version, or an offboarded tenant's adapters deleted.
 */
public sealed interface AdapterEvent extends LoraEvent permits AdapterPublished, AdapterLifecycle, AdapterLoadFailed, AdapterRetired, TrainingFailed,
        TenantOffboarded {
    String tenant();
}
