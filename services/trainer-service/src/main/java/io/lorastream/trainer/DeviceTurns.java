package io.lorastream.trainer;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One job at a time on the worker's device, and fair turns across tenants: waiting tenants are served
 * round-robin, each tenant's requests in arrival order, so one tenant's backlog delays another tenant's
 * request by at most one of its jobs.
 */
final class DeviceTurns {
    private final Map<String, ArrayDeque<Object>> waiting = new LinkedHashMap<>();
    private final ArrayDeque<String> order = new ArrayDeque<>(); // tenants with waiting requests, next first
    private boolean busy;

    <T> T run(String tenant, Supplier<T> job) throws InterruptedException {
        Object ticket = new Object();
        synchronized (this) {
            ArrayDeque<Object> mine = waiting.computeIfAbsent(tenant, t -> new ArrayDeque<>());
            if (mine.isEmpty()) {
                order.addLast(tenant);
            }
            mine.addLast(ticket);
            try {
                while (busy || !tenant.equals(order.peekFirst()) || mine.peekFirst() != ticket) {
                    wait();
                }
            } catch (InterruptedException e) {
                mine.remove(ticket);
                if (mine.isEmpty()) {
                    waiting.remove(tenant);
                    order.remove(tenant);
                }
                notifyAll();
                throw e;
            }
            busy = true;
            mine.pollFirst();
            order.pollFirst();
            if (mine.isEmpty()) {
                waiting.remove(tenant);
            } else {
                order.addLast(tenant); // back of the line behind the other tenants
            }
        }
        try {
            return job.get();
        } finally {
            synchronized (this) {
                busy = false;
                notifyAll();
            }
        }
    }

    /** Requests of the tenant waiting for the device (not counting one that runs). */
    synchronized int waiting(String tenant) {
        ArrayDeque<Object> mine = waiting.get(tenant);
        return mine == null ? 0 : mine.size();
    }
}
