package io.lorastream.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.engine.Adapter;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.LoraConfig;
import io.lorastream.events.RegistryEntry.VersionRef;
import io.lorastream.testing.KafkaAndS3TestResource;
import io.lorastream.testing.TestTokenKeys;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Bytes-bounded LRU with pinning, and leases that keep a replaced version alive until its requests finish.
 * Runs in the service's test JVM (its base: DJL's tokenizer library loads once per JVM).
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaAndS3TestResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = TestTokenKeys.class, restrictToAnnotatedClass = true)
class AdapterCacheTest {
    @Inject
    BaseModel base;

    ResidentAdapter resident(String tenant, int version) {
        Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("a", "b"), version);
        return new ResidentAdapter(tenant, new VersionRef(version, "s3://lorastream/adapters/" + tenant + "/v" + version + "/", null), adapter);
    }

    @Test
    void theLeastRecentlyUsedGoWhenTheBytesRunOutButPinnedTenantsStay() {
        ResidentAdapter probe = resident("probe", 1);
        long each = probe.bytes();
        probe.retire();
        assertThat(each).as("q,v r=8 + a 2-label head, float32").isEqualTo(4L * (6 * 2 * (8 * 384 + 384 * 8) + 2 * 384 + 2));
        AdapterCache cache = new AdapterCache(3 * each, Set.of("pinned"));
        ResidentAdapter pinned = resident("pinned", 1);
        ResidentAdapter a = resident("a", 1);
        ResidentAdapter b = resident("b", 1);
        assertThat(cache.put(pinned)).isEmpty();
        assertThat(cache.put(a)).isEmpty();
        assertThat(cache.put(b)).isEmpty();
        assertThat(cache.bytes()).isEqualTo(3 * each);

        cache.lease("a").orElseThrow().release(); // a is now more recent than b (and pinned)
        ResidentAdapter c = resident("c", 1);
        assertThat(cache.put(c)).containsExactly(b);
        assertThat(b.isClosed()).isTrue();
        assertThat(cache.lease("b")).isEmpty();
        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.bytes()).isEqualTo(3 * each);

        // pinned is the least recently used now, yet a goes
        cache.lease("c").orElseThrow().release();
        assertThat(cache.put(resident("d", 1))).containsExactly(a);
        assertThat(cache.peek("pinned")).contains(pinned);
        cache.clear();
    }

    @Test
    void aReplacedVersionLivesUntilItsLastLeaseIsReturned() {
        AdapterCache cache = new AdapterCache(1 << 30, Set.of());
        ResidentAdapter v1 = resident("t", 1);
        cache.put(v1);
        ResidentAdapter inFlight = cache.lease("t").orElseThrow();

        ResidentAdapter v2 = resident("t", 2);
        assertThat(cache.put(v2)).isEmpty();
        assertThat(cache.bytes()).isEqualTo(v2.bytes());
        assertThat(v1.isClosed()).as("a request still scores with v1").isFalse();
        assertThat(cache.lease("t").orElseThrow().version()).as("new requests get v2").isEqualTo(2);
        assertThat(v1.acquire()).as("no new lease on a retired version").isFalse();

        inFlight.release();
        assertThat(v1.isClosed()).isTrue();
        assertThat(v2.isClosed()).isFalse();
        cache.clear();
        assertThat(v2.isClosed()).as("v2 still leased above").isFalse();
    }
}
