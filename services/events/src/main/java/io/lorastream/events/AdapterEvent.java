package io.lorastream.events;

/**
 * What travels on {@code adapter-events}: a published version, a rollout transition, a version serving
 * refused, or a training request that produced no version.
 */
public sealed interface AdapterEvent extends LoraEvent permits AdapterPublished, AdapterLifecycle, AdapterLoadFailed, AdapterRetired, TrainingFailed {
    String tenant();
}
