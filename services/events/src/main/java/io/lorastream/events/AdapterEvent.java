package io.lorastream.events;

/** What travels on {@code adapter-events}: a published version, a rollout transition, or a version serving refused. */
public sealed interface AdapterEvent extends LoraEvent permits AdapterPublished, AdapterLifecycle, AdapterLoadFailed {
    String tenant();

    int version();
}
