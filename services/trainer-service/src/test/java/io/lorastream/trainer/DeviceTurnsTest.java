package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeviceTurnsTest {

    /** Waits (polling, no timing assumptions) until the tenant has this many requests waiting. */
    private static void awaitWaiting(DeviceTurns turns, String tenant, int n) throws InterruptedException {
        while (turns.waiting(tenant) != n) {
            Thread.sleep(5);
        }
    }

    @Test
    void aTenantsBacklogDelaysAnotherTenantByAtMostOneJob() throws Exception {
        DeviceTurns turns = new DeviceTurns();
        List<String> served = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            jobs.add(pool.submit(() -> turns.run("a", () -> {
                served.add("a1");
                try {
                    release.await(); // holds the device while the others queue up
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return null;
            })));
            while (served.isEmpty()) {
                Thread.sleep(5);
            }
            for (int i = 2; i <= 5; i++) {
                String name = "a" + i;
                jobs.add(pool.submit(() -> turns.run("a", () -> served.add(name))));
                awaitWaiting(turns, "a", i - 1); // queued in this order
            }
            jobs.add(pool.submit(() -> turns.run("b", () -> served.add("b1"))));
            awaitWaiting(turns, "b", 1);
            release.countDown();
            for (Future<?> job : jobs) {
                job.get(10, TimeUnit.SECONDS);
            }
            assertThat(served).containsExactly("a1", "a2", "b1", "a3", "a4", "a5");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void neverTwoJobsAtOnce() throws Exception {
        DeviceTurns turns = new DeviceTurns();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String tenant = "t" + (i % 4);
                jobs.add(pool.submit(() -> turns.run(tenant, () -> {
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    Thread.onSpinWait();
                    running.decrementAndGet();
                    return null;
                })));
            }
            for (Future<?> job : jobs) {
                job.get(10, TimeUnit.SECONDS);
            }
            assertThat(most.get()).isEqualTo(1);
            assertThat(turns.waiting("t0")).isZero();
        } finally {
            pool.shutdownNow();
        }
    }
}
