package io.lorastream.bench.demo;

import io.lorastream.bench.KafkaClientOptions;
import io.lorastream.bench.StackClient;
import io.lorastream.bench.demo.AdapterEventLog.Progress;
import io.lorastream.bench.demo.DemoData.Tenant;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLifecycle.Transition;
import io.lorastream.events.EventJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The main job, on the running local stack with its default settings, in four phases:
 * <ol>
 *   <li>three tenants (UCI Amazon, IMDb, Yelp) send labelled feedback and get first versions;</li>
 *   <li>live traffic is scored over REST and every prediction labelled with the truth; more feedback trains
 *       second versions, each promoted at once and watched on live labels against its predecessor's until the
 *       rule decides ({@link LivePhases}; with canaries on, {@code canary-share} above 0, a canary instead);</li>
 *   <li>one tenant is fed label-flipped feedback, enough to poison its holdout too, so that the offline
 *       gate is fooled and only live labels can catch a version trained on it (a poisoned version the gate
 *       rejects while the holdout is still mostly honest is shown, and more poison follows);</li>
 *   <li>an admin rolls one tenant back, promotes it again and has a bad command refused ({@link AdminSteps});</li>
 *   <li>an admin offboards that tenant, and nothing of it is left in S3 or on serving ({@link OffboardPhase}).</li>
 * </ol>
 * Progress is printed as it happens, from adapter-events and the admin API; a table and one JSON line end
 * it. The exit code is 0 when nothing the platform guarantees was violated ({@link DemoChecks}); what the
 * demo only expects (each second version kept and better, the poison rolled back within 200 labels)
 * is reported under "expected" in the JSON.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Three tenants from feedback to promoted versions, a poisoned one rolled back, an admin roll-back.")
public final class Demo implements Callable<Integer> {
    @Option(names = "--ingest", defaultValue = "http://127.0.0.1:8081") String ingest;
    @Option(names = "--serving", defaultValue = "http://127.0.0.1:8083") String serving;
    @Option(names = "--token", required = true, description = "an admin bearer token") String token;
    @Mixin KafkaClientOptions kafka;
    @Option(names = "--s3", defaultValue = "http://127.0.0.1:9000", description = "the S3 API: phase 5 lists what an offboarded tenant left")
    String s3;
    @Option(names = "--access-key", required = true) String accessKey;
    @Option(names = "--secret-key", required = true) String secretKey;
    @Option(names = "--bucket", defaultValue = "lorastream") String bucket;
    @Option(names = "--data", required = true,
            description = "directory with amazon, imdb and yelp as .tsv (sentence<TAB>label) or .json (the npm package sentiment's test/fixtures)") Path data;
    @Option(names = "--first-examples", defaultValue = "300", description = "feedback per tenant for its first version") int firstExamples;
    @Option(names = "--more-examples", defaultValue = "400", description = "feedback per tenant for its second version") int moreExamples;
    @Option(names = "--live-texts", defaultValue = "100",
            description = "distinct texts scored in one live phase, each phase its own from the texts never sent as feedback")
    int liveTexts;
    @Option(names = "--poisoned", defaultValue = "yelp", description = "the data set whose tenant gets poisoned feedback last") String poisonedName;
    @Option(names = "--poisoned-examples", defaultValue = "2000",
            description = "label-flipped feedback for the poisoned tenant (cycling through its file): more than its honest feedback, so its holdout is poisoned too")
    int poisonedExamples;
    @Option(names = "--max-live-labels", defaultValue = "1500", description = "labelled live predictions per live phase at most") int maxLiveLabels;
    @Option(names = "--yardstick-labels", defaultValue = "100",
            description = "labelled live predictions of each first version before the second: the watch's yardstick") int yardstickLabels;
    @Option(names = "--timeout-minutes", defaultValue = "12") int timeoutMinutes;

    private final Progress progress = new Progress();

    public static void main(String[] args) {
        System.exit(new CommandLine(new Demo()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 4);
        List<Tenant> tenants = new ArrayList<>();
        for (String name : DemoData.DATA_SETS) {
            tenants.add(new Tenant(name + "-" + run, name, DemoData.readDataSet(data, name)));
        }
        Tenant poisoned = tenants.stream().filter(t -> t.dataSet().equals(poisonedName)).findFirst()
                .orElseThrow(() -> new CommandLine.ParameterException(new CommandLine(this), "--poisoned must be one of " + DemoData.DATA_SETS));
        for (Tenant t : tenants) {
            int left = Math.max(t.examples().size() - firstExamples - moreExamples, 0);
            if (liveTexts < 1 || liveTexts > left) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--live-texts " + liveTexts + ": must be between 1 and the "
                        + left + " examples of " + t.dataSet() + " beyond --first-examples and --more-examples");
            }
        }
        Tenant admin = tenants.get(0);
        List<String> ids = tenants.stream().map(Tenant::id).toList();
        Map<String, Object> summary = new LinkedHashMap<>();
        DemoChecks.Findings findings;
        try (StackClient client = new StackClient(token, kafka.client());
             AdapterEventLog events = new AdapterEventLog(client, progress, timeoutMinutes)) {
            DemoStack stack = new DemoStack(client, ingest, serving);
            LivePhases phases = new LivePhases(stack, events, progress, liveTexts, maxLiveLabels, firstExamples + moreExamples);

            progress.log("phase 1 — first versions: %d labelled examples each for %s", firstExamples, String.join(", ", ids));
            for (Tenant t : tenants) {
                stack.sendFeedback(t.id(), DemoData.feedback("first", t.examples().subList(0, firstExamples), false));
            }
            for (Tenant t : tenants) {
                events.awaitDecision(t.id(), v -> v == 1, l -> l.transition() == Transition.PROMOTED);
                stack.awaitServed(events, t.id(), 1);
            }

            progress.log("phase 2 — labelled live traffic, then %d more examples each; each next version judged by live labels", moreExamples);
            for (Tenant t : tenants) {
                phases.yardstick(t, yardstickLabels);
            }
            for (Tenant t : tenants) {
                stack.sendFeedback(t.id(), DemoData.feedback("more", t.examples().subList(firstExamples, firstExamples + moreExamples), false));
            }
            Map<String, AdapterLifecycle> second = new LinkedHashMap<>();
            for (Tenant t : tenants) {
                second.put(t.id(), phases.next(t, 1));
            }

            progress.log("phase 3 — %d label-flipped examples for %s (stable v%d)", poisonedExamples, poisoned.id(), stack.stableVersion(poisoned.id()));
            AdapterLifecycle poisonEnd = new PoisonPhase(stack, events, phases, progress).run(poisoned, firstExamples, poisonedExamples, summary);

            progress.log("phase 4 — admin: roll %s back, promote it again, a command that is refused", admin.id());
            AdminSteps.Outcome adminOutcome = AdminSteps.run(stack, admin.id(), progress);

            LivePhases.Live poisonLive = phases.of(poisoned.id(), poisonEnd.version());
            findings = DemoChecks.check(new DemoChecks.Run(ids, poisoned.id(), List.copyOf(events.decisions), List.copyOf(events.published),
                    second, poisonEnd, poisonLive == null ? null : poisonLive.judgedLabels(), admin.id(), adminOutcome));
            for (Tenant t : tenants) {
                summary.put(t.id() + ".secondDecision", second.get(t.id()).transition().name() + " v" + second.get(t.id()).version());
            }
            summary.put(poisoned.id() + ".poisoned", poisonEnd.transition().name() + " v" + poisonEnd.version());
            summary.put(poisoned.id() + ".poisonedLiveLabels", poisonLive == null ? 0 : poisonLive.judgedLabels());
            summary.put(admin.id() + ".admin", adminOutcome);

            DemoTable.print(stack, events, phases, ids, summary);

            progress.log("phase 5 — offboarding: %s is deleted; S3 is listed for what it left", admin.id());
            try (io.minio.MinioClient minio = io.minio.MinioClient.builder().endpoint(s3).region("us-east-1").credentials(accessKey, secretKey).build()) {
                OffboardPhase.Outcome offboarded = OffboardPhase.run(stack, events, minio, bucket, admin.id(), progress);
                summary.put(admin.id() + ".offboarded", offboarded);
                List<String> violations = new ArrayList<>(findings.violations());
                violations.addAll(DemoChecks.offboardViolations(admin.id(), offboarded));
                findings = new DemoChecks.Findings(violations, findings.expected());
            }
            tryIt(ids.get(1));
        }
        summary.put("seconds", Math.round(progress.seconds() * 10) / 10.0);
        summary.put("expected", findings.expected());
        summary.put("failures", findings.violations());
        System.out.println("expected, reported but never a failure (docs/demo.md):");
        findings.expected().forEach((what, held) -> System.out.printf("  %-45s %s%n", what, held ? "yes" : "no, not this run"));
        System.out.println();
        findings.violations().forEach(f -> progress.log("FAILED: %s", f));
        System.out.println(EventJson.MAPPER.writeValueAsString(summary));
        return findings.violations().isEmpty() ? 0 : 1;
    }

    private void tryIt(String tenant) {
        System.out.println();
        System.out.println("The stack stays up. Try it:");
        System.out.println("  T=$(./lorastream token " + tenant + ")");
        System.out.println("  curl -s -H \"Authorization: Bearer $T\" -H 'Content-Type: application/json' -d '{\"texts\": [\"works great\"]}' "
                + serving + "/v1/tenants/" + tenant + "/score");
        System.out.println("  A=$(./lorastream token ops --admin); curl -s -H \"Authorization: Bearer $A\" " + serving + "/v1/tenants/"
                + tenant + "/adapters");
        System.out.println("  console: " + serving + "/console/   (with the admin token $A)");
        System.out.println();
    }
}
