package io.lorastream.bench.demo;

import io.lorastream.bench.StackClient;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;
import java.util.function.Predicate;

/**
 * Every adapter event of the run, from adapter-events as it happens: what was published and every
 * lifecycle decision, printed as it arrives. The demo's waits are waits on this log, up to one deadline
 * for the whole run; its checks read the same lists afterwards.
 */
final class AdapterEventLog implements AutoCloseable {
    private final StackClient.Follower<AdapterEvent> events;
    private final Progress progress;
    private final long deadline;
    private final int timeoutMinutes;
    final List<AdapterLifecycle> decisions = new ArrayList<>();
    final List<AdapterPublished> published = new ArrayList<>();

    AdapterEventLog(StackClient stack, Progress progress, int timeoutMinutes) {
        this.events = stack.follow(Topics.ADAPTER_EVENTS, AdapterEvent.class);
        this.progress = progress;
        this.timeoutMinutes = timeoutMinutes;
        this.deadline = System.nanoTime() + Duration.ofMinutes(timeoutMinutes).toNanos();
    }

    /** What arrived in the last 100 ms, added to the log and printed. */
    void poll() {
        for (var received : events.poll(Duration.ofMillis(100))) {
            if (received.value() instanceof AdapterLifecycle l) {
                decisions.add(l);
                if (l.commandId() == null) {
                    progress.log("%s v%d %s: %s", l.tenant(), l.version(), l.transition(), l.reason());
                }
            } else if (received.value() instanceof AdapterPublished p) {
                published.add(p);
                progress.log("%s v%d published: holdout %.4f (stable %s), gate %s", p.tenant(), p.version(), p.metrics().candidate().accuracy(),
                        p.metrics().stable() == null ? "-" : String.format(Locale.ROOT, "%.4f", p.metrics().stable().accuracy()),
                        p.gate().passed() ? "passed" : "failed");
            }
        }
    }

    /** The first decision of the rollout (not an admin's) on a version of {@code tenant} that {@code wanted} accepts. */
    AdapterLifecycle awaitDecision(String tenant, IntPredicate version, Predicate<AdapterLifecycle> wanted) {
        while (true) {
            poll();
            for (AdapterLifecycle d : decisions) {
                if (d.tenant().equals(tenant) && d.commandId() == null && version.test(d.version()) && wanted.test(d)) {
                    return d;
                }
            }
            checkDeadline("a decision on " + tenant);
        }
    }

    /** The version's latest decision by the rollout rule, or by an admin's command. */
    AdapterLifecycle last(String tenant, int version, boolean byCommand) {
        AdapterLifecycle found = null;
        for (AdapterLifecycle d : decisions) {
            if (d.tenant().equals(tenant) && d.version() == version && (d.commandId() != null) == byCommand) {
                found = d;
            }
        }
        return found;
    }

    AdapterPublished published(String tenant, int version) {
        return DemoChecks.published(published, tenant, version);
    }

    int lastPublished(String tenant) {
        return published.stream().filter(p -> p.tenant().equals(tenant)).mapToInt(AdapterPublished::version).max().orElse(0);
    }

    void checkDeadline(String waitingFor) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("gave up after " + timeoutMinutes + " min waiting for " + waitingFor);
        }
    }

    @Override
    public void close() {
        events.close();
    }

    /** Progress lines, each with the seconds since the run began. */
    static final class Progress {
        private final long started = System.nanoTime();

        void log(String format, Object... args) {
            System.out.printf(Locale.ROOT, "[%6.1f s] %s%n", seconds(), String.format(Locale.ROOT, format, args));
            System.out.flush();
        }

        double seconds() {
            return (System.nanoTime() - started) / 1e9;
        }
    }
}
