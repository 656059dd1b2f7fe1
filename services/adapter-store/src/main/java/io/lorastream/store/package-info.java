/**
 * Adapter versions in object storage, in the layout docs/architecture.md fixes: the trainer publishes
 * ({@link io.lorastream.store.AdapterRepository#publish}, manifest last), serving reads and checks every
 * file's sha256 against the manifest before anything is loaded. A plain library (no Quarkus): the
 * services produce an {@link io.lorastream.store.ObjectStore} from their own S3 settings.
 *
 * <p>Not in the architecture's first layout: it was added so the one place that knows the layout is not copied
 * into both services that use it.
 */
package io.lorastream.store;
