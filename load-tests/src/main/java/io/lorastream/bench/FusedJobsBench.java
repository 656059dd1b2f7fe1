package io.lorastream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorastream.engine.Example;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventJson;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingFailed;
import io.lorastream.events.TrainingRequested;
import io.lorastream.store.ObjectStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Fused training as the trainer-service runs it, job overheads included: {@code --tenants} tenants' first requests
 * ({@code --examples} new examples and a holdout of {@code --holdout} each, their shards in the stack's S3) wait together,
 * and the packaged trainer takes them with {@code lorastream.trainer.fuse-tenants} 1 (one job after another) or
 * {@code --tenants} (one job that reads and prepares each request, trains them together, then grades, publishes and
 * answers each). The rest of the trainer's settings are its defaults.
 *
 * <p>Each round and way: the launcher starts the trainer with that setting; the bench waits until it has nothing queued
 * (requests left by another benchmark); a blocker tenant's request ({@code --blocker-examples}) takes the device; once
 * the trainer's log says it trains, the tenants' requests are sent, so all of them wait when it ends. The time is from the
 * blocker's {@code adapter-published} to the last tenant's, as this process receives them: reading the shards from S3,
 * training, grading the holdout, uploading the version and the answers on Kafka. The events' {@code timingsMs} split it
 * (a job trained together reports the whole group's training: the log line that names the group gives it once); what is
 * left is {@code other} (the turns, Kafka, the request's snapshot). Then the launcher stops the trainer. Ways alternate
 * within a round, so drift of the machine falls on both.
 *
 * <p>The bench's tenants ({@code fj-RUN-…}) stay in the stack with their one version each, as the other benchmarks'
 * tenants do. The trainer is started again with its defaults at the end if it ran before.
 */
@Command(name = "fused-jobs-bench", mixinStandardHelpOptions = true,
        description = "The trainer-service's jobs for several tenants' waiting requests: one after another against trained together.")
public final class FusedJobsBench implements Callable<Integer> {
    @Option(names = "--launcher", required = true, description = "./lorastream, which starts and stops the trainer") Path launcher;
    @Option(names = "--run-dir", required = true, description = "where the launcher keeps NAME.pid") Path runDir;
    @Option(names = "--trainer-log", required = true, description = "the trainer's log, which the launcher appends to") Path trainerLog;
    @Option(names = "--trainer-metrics", required = true, description = "the trainer's /q/metrics") URI trainerMetrics;
    @Mixin KafkaClientOptions kafka;
    @Mixin S3ClientOptions s3;
    @Option(names = "--data", defaultValue = "${sys:lorastream.root:-.}/load-tests/data/sst2/train.tsv", description = "sentence<TAB>label")
    Path data;
    @Option(names = "--tenants", defaultValue = "8") int tenants;
    @Option(names = "--examples", defaultValue = "300", description = "new training examples per tenant") int examples;
    @Option(names = "--holdout", defaultValue = "100", description = "holdout examples per tenant") int holdout;
    @Option(names = "--blocker-examples", defaultValue = "300", description = "the job that holds the device while the requests arrive")
    int blockerExamples;
    @Option(names = "--rounds", defaultValue = "2", description = "runs of each way, alternating") int rounds;
    @Option(names = "--timeout-seconds", defaultValue = "900", description = "the most one step (caught up, answered) may take") int timeoutSeconds;

    /** The parts of a way's time: the job phases of {@link AdapterPublished#TIMINGS}, then the rest. */
    static final List<String> PARTS = List.of("read", "train", "grade", "publish", "other");
    private static final Pattern TOGETHER = Pattern.compile("trained (\\d+) tenants together \\(([^)]*)\\): \\d+ steps in \\d+ forwards, (\\d+) ms");
    private static final Pattern QUEUE_DEPTH = Pattern.compile("^lorastream_trainer_queue_depth\\{[^}]*} ([0-9.eE+-]+)$", Pattern.MULTILINE);

    public static void main(String[] args) {
        System.exit(new CommandLine(new FusedJobsBench()).execute(args));
    }

    /** A tenant's first request, and the examples in its shards. */
    private record Tenant(String name, List<Example> train, List<Example> holdout) {}

    /** One way's run: its wall time and its parts, seconds, and how many tenants each job of several trained. */
    record Timed(double seconds, Map<String, Double> parts, List<Integer> together) {}

    @Override
    public Integer call() throws Exception {
        List<Example> all = new ArrayList<>(Example.readTsv(data));
        Collections.shuffle(all, new Random(5));
        int per = examples + holdout;
        if (all.size() < tenants * per + blockerExamples) {
            throw new IllegalArgumentException(data + " has " + all.size() + " examples; " + tenants + " tenants and the blocker need "
                    + (tenants * per + blockerExamples));
        }
        String run = UUID.randomUUID().toString().substring(0, 8);
        StackLauncher stack = new StackLauncher(launcher);
        boolean trainerWasRunning = Files.exists(runDir.resolve("trainer.pid"));
        stack.run("stop", "trainer");
        List<Timed> alone = new ArrayList<>();
        List<Timed> fused = new ArrayList<>();
        try (ObjectStore store = s3.objectStore(); StackClient client = new StackClient("", kafka.client())) {
            for (int round = 0; round < rounds; round++) {
                for (int fuse : List.of(1, tenants)) {
                    String way = fuse == 1 ? "alone" : "fused";
                    String prefix = "fj-" + run + "-" + round + "-" + way + "-";
                    List<Tenant> waiting = new ArrayList<>();
                    for (int t = 0; t < tenants; t++) {
                        List<Example> slice = all.subList(t * per, (t + 1) * per);
                        waiting.add(new Tenant(prefix + t, slice.subList(0, examples), slice.subList(examples, per)));
                    }
                    Tenant blocker = new Tenant(prefix + "blocker", all.subList(tenants * per, tenants * per + blockerExamples), List.of());
                    System.err.printf("bench: round %d, %s (fuse-tenants %d)%n", round + 1, way, fuse);
                    Timed timed = jobs(stack, store, client, fuse, blocker, waiting);
                    (fuse == 1 ? alone : fused).add(timed);
                    System.err.printf(Locale.ROOT, "bench: %s %.2f s %s%s%n", way, timed.seconds(), timed.parts(),
                            timed.together().isEmpty() ? "" : ", tenants per job of several " + timed.together());
                }
            }
        } finally {
            if (trainerWasRunning) {
                stack.run("start", "trainer");
            }
        }
        return report(alone, fused);
    }

    /** The blocker's job, then the tenants' requests' jobs with {@code fuse-tenants} {@code fuse}, timed. */
    private Timed jobs(StackLauncher stack, ObjectStore store, StackClient client, int fuse, Tenant blocker, List<Tenant> waiting)
            throws Exception {
        TrainingRequested blockerRequest = request(store, blocker);
        List<TrainingRequested> requests = new ArrayList<>();
        for (Tenant tenant : waiting) {
            requests.add(request(store, tenant));
        }
        stack.run(Map.of("LORASTREAM_TRAINER_FUSE_TENANTS", String.valueOf(fuse)), "start", "trainer");
        try {
            awaitNothingQueued();
            long logFrom = Files.size(trainerLog);
            try (StackClient.Follower<AdapterEvent> answers = client.follow(Topics.ADAPTER_EVENTS, AdapterEvent.class)) {
                client.publish(Topics.TRAINING_REQUESTS, blockerRequest).get();
                awaitLog(logFrom, "training " + blockerRequest.requestId());
                List<Future<?>> sent = new ArrayList<>();
                requests.forEach(r -> sent.add(client.publish(Topics.TRAINING_REQUESTS, r)));
                for (Future<?> f : sent) {
                    f.get();
                }
                Map<String, Long> answeredAt = new LinkedHashMap<>();
                Map<String, Map<String, Long>> timings = new LinkedHashMap<>(); // each tenant's job phases, from its event
                Set<String> expected = new java.util.HashSet<>(waiting.stream().map(Tenant::name).toList());
                expected.add(blocker.name());
                long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
                while (!answeredAt.keySet().containsAll(expected)) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("no answer within " + timeoutSeconds + " s for " + expected.stream()
                                .filter(t -> !answeredAt.containsKey(t)).toList() + "; the trainer's log: " + trainerLog);
                    }
                    for (var record : answers.poll(Duration.ofMillis(100))) {
                        long now = System.nanoTime();
                        if (!expected.contains(record.key())) {
                            continue;
                        }
                        if (record.value() instanceof TrainingFailed failed) {
                            throw new IllegalStateException(record.key() + "'s job failed: " + failed.reason());
                        }
                        if (record.value() instanceof AdapterPublished event && answeredAt.putIfAbsent(record.key(), now) == null) {
                            timings.put(record.key(), event.timingsMs());
                        }
                    }
                }
                long from = answeredAt.get(blocker.name());
                long to = waiting.stream().mapToLong(t -> answeredAt.get(t.name())).max().orElseThrow();
                return timed((to - from) / 1e9, waiting.stream().map(Tenant::name).toList(), timings, logSince(logFrom));
            }
        } finally {
            stack.run("stop", "trainer");
        }
    }

    /**
     * The parts of one way's time: each tenant's read, grade and publish; its training, or its group's once from the log line
     * that names the group; the rest is {@code other}.
     */
    static Timed timed(double seconds, List<String> tenants, Map<String, Map<String, Long>> timingsMs, String log) {
        Map<String, Double> parts = new LinkedHashMap<>();
        PARTS.forEach(p -> parts.put(p, 0.0));
        Set<String> names = Set.copyOf(tenants);
        Set<String> trainedTogether = new java.util.HashSet<>();
        List<Integer> together = new ArrayList<>();
        Matcher m = TOGETHER.matcher(log);
        while (m.find()) {
            List<String> group = List.of(m.group(2).split(", "));
            if (!names.containsAll(group)) {
                throw new IllegalStateException("a tenant not of this bench trained in its job: " + m.group());
            }
            trainedTogether.addAll(group);
            together.add(Integer.parseInt(m.group(1)));
            parts.merge("train", Long.parseLong(m.group(3)) / 1e3, Double::sum);
        }
        for (String tenant : tenants) {
            Map<String, Long> ms = timingsMs.get(tenant);
            for (String phase : AdapterPublished.TIMINGS) {
                if (!(phase.equals("train") && trainedTogether.contains(tenant))) {
                    parts.merge(phase, ms.getOrDefault(phase, 0L) / 1e3, Double::sum);
                }
            }
        }
        double jobs = parts.values().stream().mapToDouble(Double::doubleValue).sum();
        parts.put("other", seconds - jobs);
        return new Timed(seconds, parts, together);
    }

    private int report(List<Timed> alone, List<Timed> fused) throws IOException {
        double aloneS = alone.stream().mapToDouble(Timed::seconds).average().orElseThrow();
        double fusedS = fused.stream().mapToDouble(Timed::seconds).average().orElseThrow();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("bench", "fused-jobs");
        summary.put("cores", Runtime.getRuntime().availableProcessors());
        summary.put("tenants", tenants);
        summary.put("examples_per_tenant", examples);
        summary.put("holdout_per_tenant", holdout);
        summary.put("rounds", rounds);
        summary.put("one_after_another_s", aloneS);
        summary.put("fused_s", fusedS);
        summary.put("fused_vs_one_after_another", aloneS / fusedS);
        summary.put("one_after_another_rounds_s", alone.stream().map(Timed::seconds).toList());
        summary.put("fused_rounds_s", fused.stream().map(Timed::seconds).toList());
        summary.put("tenants_per_fused_job", fused.stream().map(Timed::together).toList());
        System.out.printf(Locale.ROOT, "%d tenants' first requests (%d examples, holdout %d) through the trainer-service, S3 and Kafka; "
                + "%d rounds each, seconds per round:%n", tenants, examples, holdout, rounds);
        System.out.printf(Locale.ROOT, "%-8s %18s %12s %8s%n", "part", "one after another", "fused", "ratio");
        for (String part : PARTS) {
            double a = alone.stream().mapToDouble(t -> t.parts().get(part)).average().orElseThrow();
            double f = fused.stream().mapToDouble(t -> t.parts().get(part)).average().orElseThrow();
            System.out.printf(Locale.ROOT, "%-8s %18.2f %12.2f %8.2f%n", part, a, f, a / f);
            summary.put(part + "_one_after_another_s", a);
            summary.put(part + "_fused_s", f);
        }
        System.out.printf(Locale.ROOT, "%-8s %18.2f %12.2f %8.2f%n", "all", aloneS, fusedS, aloneS / fusedS);
        System.out.println("tenants trained together in each fused job: " + fused.stream().map(Timed::together).toList());
        System.out.println(new ObjectMapper().writeValueAsString(summary));
        return 0;
    }

    /** Writes the tenant's shards as the stream-processor does (one event a line) and returns its first request. */
    private static TrainingRequested request(ObjectStore store, Tenant tenant) {
        String shard = "datasets/" + tenant.name() + "/shards/000001.jsonl";
        store.put(shard, jsonl(tenant.name(), "train", tenant.train()), "application/x-ndjson");
        List<String> holdoutShards = new ArrayList<>();
        if (!tenant.holdout().isEmpty()) {
            holdoutShards.add("datasets/" + tenant.name() + "/holdout/000001.jsonl");
            store.put(holdoutShards.get(0), jsonl(tenant.name(), "holdout", tenant.holdout()), "application/x-ndjson");
        }
        return new TrainingRequested("training:" + tenant.name() + ":1", tenant.name(), List.of(shard), holdoutShards,
                tenant.train().size(), TrainingRequested.Trigger.MIN_EXAMPLES, Instant.now());
    }

    private static byte[] jsonl(String tenant, String kind, List<Example> examples) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            lines.append(new String(EventJson.encode(new FeedbackReceived(tenant + "-" + kind + "-" + i, tenant, e.text(), e.label(), null,
                    null, Instant.now())), StandardCharsets.UTF_8)).append('\n');
        }
        return lines.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Until the trainer's queue depth (every tenant's waiting and running requests) has been 0 for 10 s: a request left by
     * another benchmark is taken within a poll of the start, and would share the bench's turns.
     */
    private void awaitNothingQueued() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        long idleSince = System.nanoTime();
        while (System.nanoTime() - idleSince < Duration.ofSeconds(10).toNanos()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the trainer still had requests queued after " + timeoutSeconds + " s (" + trainerMetrics + ")");
            }
            String metrics = http.send(HttpRequest.newBuilder(trainerMetrics).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
            double queued = 0;
            Matcher m = QUEUE_DEPTH.matcher(metrics);
            while (m.find()) {
                queued += Double.parseDouble(m.group(1));
            }
            if (queued > 0) {
                idleSince = System.nanoTime();
            }
            Thread.sleep(500);
        }
    }

    /** The trainer's log from byte {@code offset} on: the launcher appends each start's to the one file. */
    private String logSince(long offset) throws IOException {
        try (java.nio.channels.FileChannel log = java.nio.channels.FileChannel.open(trainerLog)) {
            log.position(offset);
            return new String(java.nio.channels.Channels.newInputStream(log).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Until the trainer's log, from {@code offset} on, holds {@code text}. */
    private void awaitLog(long offset, String text) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        while (!logSince(offset).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the trainer's log " + trainerLog + " did not say '" + text + "' within " + timeoutSeconds + " s");
            }
            Thread.sleep(200);
        }
    }
}
