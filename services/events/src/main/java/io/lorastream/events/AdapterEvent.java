package io.lorastream.events;

/** What travels on {@code adapter-events}: a published version or a rollout transition. */
public sealed interface AdapterEvent extends LoraEvent permits AdapterPublished, AdapterLifecycle {
    String tenant();

    int version();
}
