package io.lorastream.trainer;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The stable adapter's class probabilities on a tenant's holdout, kept from one job to the next, so that a job
 * computes the stable's only for holdout examples it has not graded before: the holdout a request names is mostly
 * the one the previous request named (the newest shards plus a sample of older ones), and the stable usually has not
 * changed in between. The candidate is new each job and is always graded in full.
 * <p>
 * Bounds: the probabilities of one version per tenant, for the examples of its last holdout only (at most the
 * stream-processor's {@code holdout-window} + {@code holdout-reservoir}, 2,000 by default), for the
 * {@code maxTenants} tenants graded last. Keyed by feedback id, which names one text for good (ingest drops a second
 * copy of an id). Kept probabilities come from another batch than a full grading would put them in, so they may
 * differ from it in the last float bits, never in what a comparison of two adapters sees.
 */
final class StableGrades {
    private record Kept(int version, Map<String, float[]> byId) {}

    private final int maxTenants;
    private final LinkedHashMap<String, Kept> byTenant;
    private long computed;
    private long reused;

    StableGrades(int maxTenants) {
        this.maxTenants = maxTenants;
        this.byTenant = new LinkedHashMap<>(16, 0.75f, true) { // least recently graded first
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Kept> eldest) {
                return size() > StableGrades.this.maxTenants;
            }
        };
    }

    /**
     * The stable's probabilities of {@code texts}, (N, L): kept ones where this version of the tenant graded the id
     * before, {@code compute} for the rest (one call, in the examples' order).
     */
    float[][] probabilities(String tenant, int version, List<String> ids, List<String> texts, Function<List<String>, float[][]> compute) {
        Kept kept;
        synchronized (this) {
            kept = byTenant.get(tenant);
        }
        Map<String, float[]> known = kept != null && kept.version() == version ? kept.byId() : Map.of();
        float[][] result = new float[ids.size()][];
        List<Integer> missing = new java.util.ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            result[i] = known.get(ids.get(i));
            if (result[i] == null) {
                missing.add(i);
            }
        }
        if (!missing.isEmpty()) {
            float[][] fresh = compute.apply(missing.stream().map(texts::get).toList());
            for (int j = 0; j < missing.size(); j++) {
                result[missing.get(j)] = fresh[j];
            }
        }
        Map<String, float[]> next = new HashMap<>(ids.size() * 2);
        for (int i = 0; i < ids.size(); i++) {
            next.put(ids.get(i), result[i]);
        }
        synchronized (this) {
            byTenant.put(tenant, new Kept(version, next));
            computed += missing.size();
            reused += ids.size() - missing.size();
        }
        return result;
    }

    /** The tenant's kept probabilities are of no use any more (it was offboarded). */
    synchronized void forget(String tenant) {
        byTenant.remove(tenant);
    }

    /** Holdout examples graded with the stable so far: {computed, reused}. */
    synchronized long[] counts() {
        return new long[] {computed, reused};
    }
}
