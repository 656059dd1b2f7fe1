package io.lorastream.bench.history;

import ai.djl.Device;
import io.lorastream.engine.BaseModel;
import io.lorastream.events.TrainingRequest;
import io.lorastream.store.AdapterRepository;
import io.lorastream.store.ObjectStore;
import io.lorastream.testing.ConfigMappings;
import io.lorastream.trainer.TenantData;
import io.lorastream.trainer.TrainerConfig;
import io.lorastream.trainer.TrainingJob;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The trainer's real job ({@link TrainingJob}) on the requests the simulated stream-processor writes: the embedded
 * base on the CPU, the service's default settings, the real S3 server, and the simulation's clock (so versions age and
 * retention's grace passes). With no live traffic in the simulation, each published version is taken as the rollout's
 * stable at once: the next job warm-starts from it, replays its sample and is graded against it.
 */
final class TrainerRuns implements AutoCloseable {
    /**
     * @param seconds        the job, request resolved to version published
     * @param allocatedBytes what the job's thread allocated on the heap
     * @param peakHeapBytes  the heap's highest use during the job above its use just before (sampled every 2 ms)
     */
    record Measured(TrainingJob.Outcome outcome, int requestExamples, double seconds, long allocatedBytes, long peakHeapBytes) {}

    private final BaseModel base = BaseModel.embedded(Device.cpu());
    private final TrainingJob job;

    TrainerRuns(ObjectStore store, Supplier<Instant> now) {
        TrainerConfig.Trainer settings = ConfigMappings.load(TrainerConfig.Trainer.class, "lorastream.trainer", Map.of());
        Clock clock = new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        job = new TrainingJob(base, new AdapterRepository(store), new TenantData(store),
                (tenant, newestPublished) -> newestPublished == 0 ? OptionalInt.empty() : OptionalInt.of(newestPublished),
                settings, clock);
    }

    Measured run(TrainingRequest request, int requestExamples) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        AtomicLong peak = new AtomicLong(before);
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
        long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
        long started = System.nanoTime();
        TrainingJob.Outcome outcome;
        try {
            TenantData.Resolved resolved = job.resolve(request);
            outcome = job.run(resolved.request(), resolved.named(), resolved.erased());
        } finally {
            done.set(true);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - allocated;
        System.err.printf(java.util.Locale.ROOT, "  %s v%d: %d new examples, %d held out, %.1f s%n", request.tenant(),
                outcome.event().version(), requestExamples, outcome.event().metrics().candidate().examples(), seconds);
        return new Measured(outcome, requestExamples, seconds, allocated, peak.get() - before);
    }

    @Override
    public void close() {
        base.close();
    }
}
