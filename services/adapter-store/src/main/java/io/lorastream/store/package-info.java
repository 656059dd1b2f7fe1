/**
 * Adapter versions in object storage, in the layout docs/architecture.md fixes: the trainer publishes
 * ({@link io.lorastream.store.AdapterRepository#publish}, manifest last), serving reads and checks every
 * file's sha256 against the manifest before anything is loaded. {@link io.lorastream.store.FleetBase} binds the
 * bucket to one base ({@code adapters/base.json}), and {@link io.lorastream.store.BaseSettings} is the base setting
 * both services read. A plain library: the services produce an {@link io.lorastream.store.ObjectStore} from their own
 * S3 settings; it uses SmallRye Config's annotation and Mutiny from the services' Quarkus (provided scope), and both
 * services index it ({@code quarkus.index-dependency.adapter-store}) so that Quarkus finds BaseSettings.
 *
 * <p>Not in the architecture's first layout: it was added so the one place that knows the layout is not copied
 * into both services that use it.
 */
package io.lorastream.store;
