package io.lorastream.trainer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Jobs by outcome, job duration, training speed, and requests waiting per tenant: on /q/metrics. */
@Singleton
public class TrainerMetrics {
    private final MeterRegistry registry;
    private final Timer duration;
    private final AtomicLong examplesPerSecond = new AtomicLong();
    private final Map<String, AtomicInteger> waiting = new ConcurrentHashMap<>();

    TrainerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.duration = Timer.builder("lorastream.trainer.job.duration").description("From taking a request to its published event")
                .publishPercentiles(0.5, 0.9).register(registry);
        registry.gauge("lorastream.trainer.examples.per.second", examplesPerSecond);
    }

    void queued(String tenant) {
        waiting.computeIfAbsent(tenant, t -> registry.gauge("lorastream.trainer.queue.depth",
                io.micrometer.core.instrument.Tags.of("tenant", t), new AtomicInteger())).incrementAndGet();
    }

    /** An offboarded tenant's series goes, unless requests of it (after the offboarding) are waiting already. */
    void forget(String tenant) {
        waiting.computeIfPresent(tenant, (t, count) -> {
            if (count.get() > 0) {
                return count;
            }
            registry.find("lorastream.trainer.queue.depth").tag("tenant", t).meters().forEach(registry::remove);
            return null;
        });
    }

    void deadLettered() {
        Counter.builder("lorastream.trainer.requests.dead.lettered").description("Records on training-requests that are not a valid request")
                .register(registry).increment();
    }

    void done(String tenant, String outcome, Duration took, double speed) {
        waiting.get(tenant).decrementAndGet();
        duration.record(took);
        if (speed > 0) {
            examplesPerSecond.set(Math.round(speed));
        }
        Counter.builder("lorastream.trainer.jobs").tag("outcome", outcome).description("Training jobs by outcome")
                .register(registry).increment();
    }
}
