package io.lorastream.bench.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterPublished;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The run's closing table: every version of every tenant with its status, holdout and live figures; the same figures go into the summary. */
final class DemoTable {
    private DemoTable() {}

    static void print(DemoStack stack, AdapterEventLog events, LivePhases phases, List<String> tenants, Map<String, Object> summary) throws Exception {
        System.out.println();
        events.poll(); // the lifecycle events of the admin's last commands
        System.out.printf(Locale.ROOT, "%-12s %-8s %-11s %-26s %-12s %-32s %s%n", "tenant", "version", "status", "holdout (stable's on it)",
                "labels", "live accuracy (stable's)", "reason");
        for (String tenant : tenants) {
            JsonNode view = stack.adapters(tenant);
            for (JsonNode v : view.path("versions")) {
                int version = v.path("version").asInt();
                AdapterPublished p = events.published(tenant, version);
                LivePhases.Live live = phases.of(tenant, version);
                AdapterLifecycle decided = events.last(tenant, version, false);
                String status = v.path("status").asText();
                String reason = decided == null ? "" : decided.reason();
                AdapterLifecycle commanded = events.last(tenant, version, true);
                if (commanded != null && commanded.transition().name().equals(status)
                        && (decided == null || !decided.transition().name().equals(status))) {
                    reason = "an admin's command: " + commanded.reason(); // e.g. a canary ended by hand
                }
                String holdout = p == null ? "-" : String.format(Locale.ROOT, "%.4f (%s)", p.metrics().candidate().accuracy(),
                        p.metrics().stable() == null ? "-" : String.format(Locale.ROOT, "%.4f", p.metrics().stable().accuracy()));
                AdapterLifecycle.Evidence evidence = decided == null ? null : decided.evidence();
                String liveAccuracy = evidence == null || evidence.candidate() == null ? "-"
                        : String.format(Locale.ROOT, "%d/%d = %.3f (%d/%d = %.3f)", evidence.candidate().correct(),
                        evidence.candidate().predictions(), ratio(evidence.candidate().correct(), evidence.candidate().predictions()),
                        evidence.stable().correct(), evidence.stable().predictions(), ratio(evidence.stable().correct(), evidence.stable().predictions()));
                String labels = live == null ? "-" : live.labels() + " (" + live.judgedLabels() + ")";
                System.out.printf(Locale.ROOT, "%-12s v%-7d %-11s %-26s %-12s %-32s %s%n", tenant, version, status, holdout, labels, liveAccuracy, reason);
                String key = tenant + ".v" + version;
                summary.put(key + ".status", status);
                if (p != null) {
                    summary.put(key + ".holdout", p.metrics().candidate().accuracy());
                    if (p.metrics().stable() != null) {
                        summary.put(key + ".stableHoldout", p.metrics().stable().accuracy());
                    }
                }
                if (evidence != null && evidence.candidate() != null) {
                    summary.put(key + ".live", evidence.candidate().correct() + "/" + evidence.candidate().predictions());
                    summary.put(key + ".stableLive", evidence.stable().correct() + "/" + evidence.stable().predictions());
                }
                if (live != null) {
                    summary.put(key + ".labels", live.labels());
                    summary.put(key + ".judgedLabels", live.judgedLabels());
                }
            }
            summary.put(tenant + ".stable", view.path("stable").asInt());
        }
    }

    private static double ratio(long correct, long predictions) {
        return predictions == 0 ? 0 : (double) correct / predictions;
    }
}
