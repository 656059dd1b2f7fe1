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
    void pinsThatAloneExceedTheBudgetAreEvictedTooAndOneAdapterLargerThanTheBudgetStaysAlone() {
        long each = resident("probe", 1).bytes();
        AdapterCache cache = new AdapterCache(2 * each, Set.of("p1", "p2", "p3"));
        ResidentAdapter p1 = resident("p1", 1);
        ResidentAdapter p2 = resident("p2", 1);
        ResidentAdapter u = resident("u", 1);
        cache.put(p1);
        cache.put(p2);
        assertThat(cache.put(u)).as("over budget: a pinned one goes only because no unpinned one is left").containsExactly(p1);
        assertThat(cache.bytes()).isEqualTo(2 * each);
        ResidentAdapter p3 = resident("p3", 1);
        assertThat(cache.put(p3)).as("the unpinned one first, then nothing more needed").containsExactly(u);
        assertThat(cache.bytes()).isLessThanOrEqualTo(2 * each);

        AdapterCache tiny = new AdapterCache(each / 2, Set.of());
        ResidentAdapter x = resident("x", 1);
        ResidentAdapter y = resident("y", 1);
        tiny.put(x);
        assertThat(tiny.put(y)).containsExactly(x);
        assertThat(tiny.bytes()).as("over budget by the one just loaded, no more").isEqualTo(each);
        cache.clear();
        tiny.clear();
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
