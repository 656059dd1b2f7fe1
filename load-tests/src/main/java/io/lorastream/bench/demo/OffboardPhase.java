package io.lorastream.bench.demo;

import io.lorastream.bench.StackClient;
import io.lorastream.bench.demo.AdapterEventLog.Progress;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLifecycle.Transition;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import java.util.ArrayList;
import java.util.List;

/**
 * Phase 5, offboarding: an admin deletes one tenant ({@code DELETE /v1/tenants/{tenant}}). Once the rollout has answered
 * OFFBOARDED, the S3 bucket is listed for anything of the tenant, and serving asked for its adapters and for a prediction.
 * {@link DemoChecks} turns what is left into failures.
 */
final class OffboardPhase {
    /**
     * @param deleteStatus   what {@code DELETE} answered (200, or 202 while the trainer was still busy)
     * @param left           the tenant's objects still under {@code datasets/} and {@code adapters/} once OFFBOARDED was answered
     * @param adaptersStatus what {@code GET .../adapters} answers afterwards (404)
     * @param scoreStatus    what a prediction for the tenant answers afterwards (404: no adapter)
     */
    record Outcome(int deleteStatus, boolean answered, List<String> left, int adaptersStatus, int scoreStatus) {}

    private OffboardPhase() {}

    static Outcome run(DemoStack stack, AdapterEventLog events, MinioClient s3, String bucket, String tenant, Progress progress) throws Exception {
        StackClient.Response deleted = stack.admin("DELETE", "/v1/tenants/" + tenant + "?reason=demo%3A%20offboarding", null);
        String commandId = deleted.body().path("commandId").asText();
        progress.log("offboard %s: HTTP %d %s", tenant, deleted.status(), deleted.body().path("outcome").asText());
        AdapterLifecycle answer = null;
        while (answer == null) {
            events.poll();
            answer = events.decisions.stream().filter(d -> d.transition() == Transition.OFFBOARDED && commandId.equals(d.commandId()))
                    .findFirst().orElse(null);
            events.checkDeadline("the answer to offboarding " + tenant);
        }
        progress.log("%s OFFBOARDED: %s", tenant, answer.reason());
        List<String> left = new ArrayList<>();
        for (String prefix : List.of("datasets/" + tenant + "/", "adapters/" + tenant + "/")) {
            for (Result<Item> item : s3.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                left.add(item.get().objectName());
            }
        }
        int adapters;
        do { // this replica has seen the tombstone once its registry follower reads it: at most moments after the answer
            adapters = stack.admin("GET", "/v1/tenants/" + tenant + "/adapters", null).status();
            events.checkDeadline("serving to forget " + tenant);
            if (adapters != 404) {
                Thread.sleep(100);
            }
        } while (adapters != 404);
        int score = stack.tryScore(tenant, "anyone there?").status();
        progress.log("after offboarding %s: %d objects left in S3, adapters HTTP %d, a prediction HTTP %d", tenant, left.size(), adapters, score);
        return new Outcome(deleted.status(), true, List.copyOf(left), adapters, score);
    }
}
