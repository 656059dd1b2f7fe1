package io.lorastream.bench.history;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Who sends how much feedback in each simulated step, a pure function of the step (seeded), so that a run is the same
 * every time and a short run is the first part of a long one:
 * <ul>
 *   <li>{@value #BIG}: a backfill on its first step, then {@code bigPerSend} examples every {@code bigEvery} steps,
 *       each send sealed as one training and one holdout shard by the next check (about 50,000 shards in a year at the
 *       defaults);</li>
 *   <li>{@value #VERSIONS}: {@code versionsPerSend} examples {@code versions} times, evenly over the run: one small
 *       training request, so one version, each;</li>
 *   <li>the rest ({@code t0001} …): a trickle, each tenant a send of 1–5 examples once a week on average.</li>
 * </ul>
 */
record TrafficModel(int tenants, long steps, long stepsPerDay, int backfill, int bigPerSend, int bigEvery, int versions,
                    int versionsPerSend, long seed) {
    static final String BIG = "big";
    static final String VERSIONS = "versions";

    /** One tenant's feedback in one step. */
    record Send(String tenant, int examples) {}

    List<String> trickleTenants() {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= tenants - 2; i++) {
            names.add(String.format("t%04d", i));
        }
        return names;
    }

    List<Send> at(long step) {
        List<Send> sends = new ArrayList<>();
        if (step == 0) {
            sends.add(new Send(BIG, backfill));
        } else if (step % bigEvery == 0) {
            sends.add(new Send(BIG, bigPerSend));
        }
        long every = Math.max(1, steps / versions);
        if (step % every == every / 2 && step / every < versions) {
            sends.add(new Send(VERSIONS, versionsPerSend));
        }
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + step);
        double weekly = 1.0 / (7.0 * stepsPerDay);
        for (String tenant : trickleTenants()) {
            if (random.nextDouble() < weekly) {
                sends.add(new Send(tenant, 1 + random.nextInt(5)));
            }
        }
        return sends;
    }
}
