/**
 * The event contracts of LoraStream in Java: one record per JSON Schema in {@code schemas/},
 * the topic names, and Kafka serdes that write and read CloudEvents in binary mode
 * ({@code ce_*} headers, JSON data).
 *
 * <p>The schemas are the contract; these types follow them and tests prove it: every example in
 * {@code schemas/examples/valid} decodes and round-trips, every invalid one is refused naming its
 * field, and what {@link io.lorastream.events.EventSerde} writes validates against its schema.
 *
 * <p>Choices the design left open:
 * <ul>
 *   <li>CloudEvent ids are deterministic (see {@link io.lorastream.events.LoraEvent#cloudEventId()}),
 *       so a redelivered event carries the same id and consumers can drop it.</li>
 *   <li>A record without CloudEvent headers is read as plain JSON data when its topic carries one
 *       event type: producers that know nothing of CloudEvents can still write feedback.</li>
 *   <li>Every topic has six partitions, so topics the stream-processor joins are co-partitioned.</li>
 * </ul>
 * This module knows nothing of Quarkus or of the services that use it.
 */
package io.lorastream.events;
