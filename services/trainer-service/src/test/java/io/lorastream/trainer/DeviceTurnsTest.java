package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeviceTurnsTest {

    /** Waits (polling, no timing assumptions) until the tenant has this many requests waiting. */
    private static void awaitWaiting(DeviceTurns<?> turns, String tenant, int n) throws InterruptedException {
        while (turns.waiting(tenant) != n) {
            Thread.sleep(5);
        }
    }

    @Test
    void aTenantsBacklogDelaysAnotherTenantByAtMostOneJob() throws Exception {
        DeviceTurns<String> turns = new DeviceTurns<>();
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
                job.get();
            }
            assertThat(served).containsExactly("a1", "a2", "b1", "a3", "a4", "a5");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void neverTwoJobsAtOnce() throws Exception {
        DeviceTurns<String> turns = new DeviceTurns<>();
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
                job.get();
            }
            assertThat(most.get()).isEqualTo(1);
            assertThat(turns.waiting("t0")).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Waiting works of other tenants join the turn, in the round-robin's order, up to the bound; a tenant's second work and a
     * job that runs alone never do, and the tenants a turn carried go to the back of the line.
     */
    @Test
    void aTurnCarriesTheNextWorkOfOtherTenantsUpToTheBound() throws Exception {
        DeviceTurns<String> turns = new DeviceTurns<>();
        List<List<String>> turnsTaken = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            jobs.add(pool.submit(() -> {
                turns.runTogether("a", "a1", 3, works -> {
                    turnsTaken.add(works);
                    try {
                        release.await(); // holds the device while the others queue up
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                return null;
            }));
            while (turnsTaken.isEmpty()) {
                Thread.sleep(5);
            }
            String[][] queued = {{"a", "a2"}, {"a", "a3"}, {"b", "b1"}, {"c", null}, {"d", "d1"}, {"e", "e1"}};
            for (String[] q : queued) {
                int before = turns.waiting(q[0]);
                jobs.add(pool.submit(() -> {
                    if (q[1] == null) {
                        return turns.run(q[0], () -> turnsTaken.add(List.of(q[0] + " alone")));
                    }
                    turns.runTogether(q[0], q[1], 3, turnsTaken::add);
                    return null;
                }));
                awaitWaiting(turns, q[0], before + 1); // queued in this order
            }
            release.countDown();
            for (Future<?> job : jobs) {
                job.get();
            }
            assertThat(turnsTaken).containsExactly(List.of("a1"), List.of("a2", "b1", "d1"), List.of("c alone"), List.of("e1", "a3"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailedTurnFailsInEveryThreadItCarried() throws Exception {
        DeviceTurns<String> turns = new DeviceTurns<>();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<?> holder = pool.submit(() -> turns.run("x", () -> {
                holding.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return null;
            }));
            holding.await();
            List<Future<?>> carried = new ArrayList<>();
            for (String tenant : List.of("a", "b")) {
                carried.add(pool.submit(() -> {
                    turns.runTogether(tenant, tenant, 2, works -> {
                        throw new IllegalStateException("broke on " + works);
                    });
                    return null;
                }));
                awaitWaiting(turns, tenant, 1);
            }
            release.countDown();
            holder.get();
            for (Future<?> job : carried) {
                assertThatThrownBy(job::get).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(IllegalStateException.class).hasMessage("broke on [a, b]");
            }
            assertThat(turns.waiting("a") + turns.waiting("b")).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Alone or together, whichever thread asks, every job runs on the one device thread: never on the asking thread. */
    @Test
    void everyJobRunsOnTheOneDeviceThread() throws Exception {
        DeviceTurns<String> turns = new DeviceTurns<>();
        java.util.Set<Thread> ranOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.Set<Thread> askedFrom = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String tenant = "t" + (i % 5);
                boolean alone = i % 3 == 0;
                jobs.add(pool.submit(() -> {
                    askedFrom.add(Thread.currentThread());
                    if (alone) {
                        return turns.run(tenant, () -> ranOn.add(Thread.currentThread()));
                    }
                    turns.runTogether(tenant, tenant, 3, works -> ranOn.add(Thread.currentThread()));
                    return null;
                }));
            }
            for (Future<?> job : jobs) {
                job.get();
            }
            assertThat(askedFrom).hasSizeGreaterThan(1);
            assertThat(ranOn).hasSize(1);
            assertThat(ranOn.iterator().next().getName()).isEqualTo(DeviceTurns.DEVICE_THREAD);
            assertThat(askedFrom).doesNotContainAnyElementsOf(ranOn);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A caller interrupted while its job runs waits for the job's end (its turn ends with it) and keeps the interrupt. */
    @Test
    void anInterruptedCallerWaitsForItsJobAndKeepsTheInterrupt() throws Exception {
        DeviceTurns<String> turns = new DeviceTurns<>();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<String> callerSaw = new java.util.concurrent.atomic.AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                turns.run("a", () -> {
                    started.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    finished.set(true);
                    return null;
                });
                callerSaw.set("job finished " + finished.get() + ", interrupted " + Thread.currentThread().isInterrupted());
            } catch (InterruptedException e) {
                callerSaw.set("thrown");
            }
        });
        caller.start();
        started.await();
        caller.interrupt();
        release.countDown();
        caller.join();
        assertThat(callerSaw.get()).isEqualTo("job finished true, interrupted true");
        assertThat(turns.run("b", () -> "the next turn")).isEqualTo("the next turn");
    }
}
