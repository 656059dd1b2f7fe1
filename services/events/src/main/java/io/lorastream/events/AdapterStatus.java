package io.lorastream.events;

/** Where a version stands in its tenant's rollout. */
public enum AdapterStatus { PUBLISHED, REJECTED, CANARY, PROMOTED, ROLLED_BACK, SUPERSEDED, RETIRED }
