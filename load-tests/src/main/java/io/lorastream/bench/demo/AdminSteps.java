package io.lorastream.bench.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.bench.StackClient;
import io.lorastream.bench.demo.AdapterEventLog.Progress;

/**
 * Phase 4, an admin's steps on one tenant: end a canary that live labels trained meanwhile (a roll-back
 * without a version), roll back to v1 by name and score once straight after, promote the old stable again,
 * and ask for a pin of a version that does not exist. What each step answered is checked by {@link DemoChecks}.
 */
final class AdminSteps {
    /**
     * What the steps answered.
     *
     * @param endedCanary        the status of ending a canary, or null when there was none to end
     * @param stableBefore       the stable version before the roll-back
     * @param rollbackTo         the stable version the roll-back's answer names
     * @param nextRequestVersion the version that answered the request right after it, on {@code nextRequestRoute} (STABLE or CANARY)
     */
    record Outcome(Integer endedCanary, int stableBefore, int rollback, int rollbackTo, int nextRequestVersion, String nextRequestRoute,
                   int promoteAgain, int refusedPin) {}

    private AdminSteps() {}

    static Outcome run(DemoStack stack, String tenant, Progress progress) throws Exception {
        String adapters = "/v1/tenants/" + tenant + "/adapters";
        JsonNode view = stack.adapters(tenant);
        int before = view.path("stable").asInt();
        Integer endedCanary = null;
        if (view.path("candidate").isInt()) { // live labels trained a new canary by now: a roll-back without a version ends it
            StackClient.Response ended = stack.admin("POST", adapters + "/rollback", "{\"reason\": \"demo: end the canary\"}");
            progress.log("roll-back of %s without a version ends its canary v%d: HTTP %d %s (%s)", tenant, view.path("candidate").asInt(),
                    ended.status(), ended.body().path("outcome").asText(), ended.body().path("reason").asText());
            endedCanary = ended.status();
        }
        StackClient.Response rollback = stack.admin("POST", adapters + "/rollback", "{\"version\": 1, \"reason\": \"demo: manual roll-back\"}");
        int target = rollback.body().path("stableVersion").asInt();
        JsonNode next = stack.score(tenant, "the request right after the roll-back");
        progress.log("manual roll-back of %s v%d: HTTP %d %s, now v%d; the next request was answered by v%d (%s)", tenant, before,
                rollback.status(), rollback.body().path("outcome").asText(), target, next.path("version").asInt(), next.path("route").asText());
        StackClient.Response promote = stack.admin("POST", adapters + "/v" + before + "/promote", "{\"reason\": \"demo: promote again\"}");
        progress.log("promote %s v%d again: HTTP %d %s", tenant, before, promote.status(), promote.body().path("outcome").asText());
        StackClient.Response refused = stack.admin("POST", adapters + "/v99/pin", "{}");
        progress.log("pin %s v99: HTTP %d %s", tenant, refused.status(), refused.body().path("detail").asText());
        return new Outcome(endedCanary, before, rollback.status(), target, next.path("version").asInt(), next.path("route").asText(),
                promote.status(), refused.status());
    }
}
