package io.lorastream.trainer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One job at a time on the worker's device, and fair turns across tenants: waiting tenants are served
 * round-robin, each tenant's requests in arrival order, so one tenant's backlog delays another tenant's
 * request by at most one of its jobs.
 * <p>
 * A turn may carry several tenants ({@link #runTogether}): the tenant whose turn it is takes the next waiting work of up to
 * {@code maxTogether - 1} other tenants, in the round-robin's order, and those tenants' turns are spent with it. Never two
 * works of one tenant: each builds on the one before. Whoever waited for a work that another took returns when that turn is
 * over, with its failure if it failed.
 * <p>
 * Every turn's job runs on one thread of its own ({@value #DEVICE_THREAD}), whichever thread's turn it is: the engine's
 * native libraries keep per-thread state (OpenMP thread teams, allocator caches) that a job on a thread new to them pays to
 * build. Measured with the engine alone, 8 jobs of 300 examples each on a new thread against all on one: 34.7–46.2 s
 * against 30.4–34.5 s over four runs (docs/performance.md, Fused training). The callers' threads only wait.
 *
 * @param <W> what the threads waiting for the device hand over to be done together
 */
final class DeviceTurns<W> {
    /** A thread's place in the line; {@code work} null: it runs alone ({@link #run}). */
    private static final class Ticket<W> {
        final W work;
        boolean taken;
        boolean done;
        RuntimeException failure;

        Ticket(W work) {
            this.work = work;
        }
    }

    static final String DEVICE_THREAD = "trainer-device";

    private final ExecutorService device = Executors.newSingleThreadExecutor(job -> {
        Thread thread = new Thread(job, DEVICE_THREAD);
        thread.setDaemon(true); // a stop does not wait for a job under way, as it did not for a worker thread's
        return thread;
    });
    private final Map<String, ArrayDeque<Ticket<W>>> waiting = new LinkedHashMap<>();
    private final ArrayDeque<String> order = new ArrayDeque<>(); // tenants with waiting requests, next first
    private boolean busy;

    /** Runs {@code job} in the tenant's turn, alone. */
    <T> T run(String tenant, Supplier<T> job) throws InterruptedException {
        Ticket<W> ticket = new Ticket<>(null);
        List<Ticket<W>> turn = await(tenant, ticket, 1);
        try {
            return onDevice(job);
        } finally {
            release(turn, null);
        }
    }

    /**
     * Does {@code work} in the tenant's turn, with other tenants' waiting works (at most {@code maxTogether} in all): the
     * thread whose turn it is calls {@code together} with all of them, its own first; every other thread returns once that
     * call did. A failure of {@code together} is rethrown in each of their threads.
     */
    void runTogether(String tenant, W work, int maxTogether, Consumer<List<W>> together) throws InterruptedException {
        Ticket<W> ticket = new Ticket<>(work);
        List<Ticket<W>> turn = await(tenant, ticket, maxTogether);
        if (turn.isEmpty()) {
            return; // another tenant's turn did it
        }
        RuntimeException failure = null;
        try {
            List<W> works = turn.stream().map(t -> t.work).toList();
            onDevice(() -> {
                together.accept(works);
                return null;
            });
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            release(turn, failure);
        }
    }

    /**
     * {@code job} on the device thread; this thread waits for its end, even when interrupted (the job is under way: its
     * turn ends with it), and keeps the interrupt. The job's exception is thrown here as it was thrown there.
     */
    private <T> T onDevice(Supplier<T> job) {
        Future<T> done = device.submit(job::get);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return done.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException failure) {
                        throw failure;
                    }
                    if (e.getCause() instanceof Error error) {
                        throw error;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Waits for the ticket's turn and returns the tickets it carries, the ticket's own first; empty when another turn took the
     * ticket and is done with it (its failure thrown).
     */
    private synchronized List<Ticket<W>> await(String tenant, Ticket<W> ticket, int maxTogether) throws InterruptedException {
        ArrayDeque<Ticket<W>> mine = waiting.computeIfAbsent(tenant, t -> new ArrayDeque<>());
        if (mine.isEmpty()) {
            order.addLast(tenant);
        }
        mine.addLast(ticket);
        try {
            while (!ticket.taken && (busy || !tenant.equals(order.peekFirst()) || mine.peekFirst() != ticket)) {
                wait();
            }
        } catch (InterruptedException e) {
            if (!ticket.taken) {
                mine.remove(ticket);
                if (mine.isEmpty()) {
                    waiting.remove(tenant);
                    order.remove(tenant);
                }
                notifyAll();
                throw e;
            }
            Thread.currentThread().interrupt(); // taken: its work is under way; wait below for its end
        }
        if (ticket.taken) {
            boolean interrupted = false;
            while (!ticket.done) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (ticket.failure != null) {
                throw ticket.failure;
            }
            return List.of();
        }
        busy = true;
        List<Ticket<W>> turn = new ArrayList<>();
        turn.add(take(tenant));
        if (ticket.work != null) {
            for (String other : List.copyOf(order)) {
                if (turn.size() >= maxTogether) {
                    break;
                }
                Ticket<W> next = waiting.get(other).peekFirst();
                if (next.work != null) {
                    turn.add(take(other));
                }
            }
        }
        return turn;
    }

    /** The tenant's next ticket, now in a turn; the tenant goes to the back of the line if more of its requests wait. */
    private Ticket<W> take(String tenant) {
        ArrayDeque<Ticket<W>> its = waiting.get(tenant);
        Ticket<W> ticket = its.pollFirst();
        ticket.taken = true;
        order.remove(tenant);
        if (its.isEmpty()) {
            waiting.remove(tenant);
        } else {
            order.addLast(tenant); // back of the line behind the other tenants
        }
        return ticket;
    }

    private synchronized void release(List<Ticket<W>> turn, RuntimeException failure) {
        busy = false;
        for (Ticket<W> t : turn) {
            t.done = true;
            t.failure = failure;
        }
        notifyAll();
    }

    /** Requests of the tenant waiting for the device (not counting one that runs). */
    synchronized int waiting(String tenant) {
        ArrayDeque<Ticket<W>> mine = waiting.get(tenant);
        return mine == null ? 0 : mine.size();
    }
}
