package io.lorastream.bench.history;

import io.lorastream.engine.Example;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.TrainingSnapshotRequested;
import io.lorastream.store.ObjectStore;
import io.lorastream.streams.S3DatasetStore;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.SharedInfrastructure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The scale test of docs/bounds.md: a year of history for a thousand tenants, written through the stream-processor's
 * real topology in simulated time (its stores in RocksDB, its datasets in a real S3 server), with the real trainer's
 * jobs on the requests it makes. After the first day and after the last it measures the same things, and prints one
 * table: the largest training-request record, the state stores, S3 per tenant, a 300-example job's time and heap, and a
 * restart that restores every store from its changelog on a real broker. The goal: request size, job time and heap
 * within 10 % of each other, restart under a minute.
 */
@Command(name = "bench history", mixinStandardHelpOptions = true,
        description = "A year of history through the stream-processor and the trainer, measured after its first and last day.")
public final class YearOfHistory implements Callable<Integer> {

    @Option(names = "--tenants", description = "tenants in all: big, versions and a trickle of the rest (default ${DEFAULT-VALUE})")
    int tenants = 1000;

    @Option(names = "--days", description = "days of history (default ${DEFAULT-VALUE})")
    int days = 365;

    @Option(names = "--step", description = "simulated time per step: each step runs the topology's checks once (default ${DEFAULT-VALUE})")
    Duration step = Duration.ofMinutes(10);

    @Option(names = "--big-per-send", description = "examples the big tenant sends every second step (default ${DEFAULT-VALUE})")
    int bigPerSend = 50;

    @Option(names = "--backfill", description = "examples the big tenant sends on its first step (default ${DEFAULT-VALUE}): "
            + "its holdout bounds are full on day 1, so day 1 and the year compare jobs on equal holdouts")
    int backfill = 10_000;

    @Option(names = "--versions", description = "versions the versions tenant trains over the run (default ${DEFAULT-VALUE})")
    int versions = 100;

    @Option(names = "--measured-jobs", description = "300-example jobs of the big tenant measured after day 1 and after the year (default ${DEFAULT-VALUE})")
    int measuredJobs = 3;

    @Option(names = "--start", description = "the simulated history's first instant (default ${DEFAULT-VALUE})")
    Instant start = Instant.parse("2026-01-01T00:00:00Z");

    @Option(names = "--data", description = "texts and labels, TSV (default: load-tests/data/sst2/train.tsv)")
    Path data;

    private final Map<String, Checkpoint> checkpoints = new LinkedHashMap<>();
    private long examplesSent;
    private TrafficModel traffic;

    /** What one point in history measured. */
    static final class Checkpoint {
        final String label;
        long examplesSent;
        int largestRequestBytes;
        long largestSnapshotBytes;
        long requests;
        List<SimulatedStreamProcessor.StoreSize> stores;
        BucketUsage usage;
        long objectsWritten;
        long objectsDeleted;
        long bigShards;
        ChangelogRestore.Result restart;
        final List<TrainerRuns.Measured> jobs = new ArrayList<>();

        Checkpoint(String label) {
            this.label = label;
        }
    }

    public static void main(String[] args) {
        // the services' INFO lines (a request, a version, a compaction) would bury the progress and the table
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        int code = new CommandLine(new YearOfHistory()).execute(args);
        // the embedded broker's and S3 server's threads: stop them through the shutdown hook
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        Path root = Path.of(System.getProperty("lorastream.root", "."));
        List<Example> texts = Example.readTsv(data != null ? data : root.resolve("load-tests/data/sst2/train.tsv"));
        long stepsPerDay = Duration.ofDays(1).dividedBy(step);
        long steps = stepsPerDay * days;
        traffic = new TrafficModel(tenants, steps, stepsPerDay, backfill, bigPerSend, 2, versions, 40, 20260101L);
        System.err.printf(Locale.ROOT, "a year of history: %d tenants, %d days in steps of %s (%d steps); starting a broker and an S3 server%n",
                tenants, days, step, steps);

        Infrastructure infra = SharedInfrastructure.get();
        CountingDatasetStore datasets = new CountingDatasetStore(new S3DatasetStore(infra.s3().newClient(), infra.s3().bucket()));
        // the big tenant asks for 300 examples at a time (never for fewer after a wait): the request the job is measured on
        Map<String, String> policies = Map.of("\"" + TrafficModel.BIG + "\".min-examples", "300",
                "\"" + TrafficModel.BIG + "\".max-wait", "P1D");
        Path stateDir = Files.createTempDirectory("history-state-");
        try (ObjectStore objects = new ObjectStore(infra.s3().newClient(), infra.s3().bucket());
             SimulatedStreamProcessor processor = new SimulatedStreamProcessor(datasets, policies, stateDir, start);
             TrainerRuns trainer = new TrainerRuns(objects, processor::now)) {
            Checkpoint current = new Checkpoint("1 day");
            checkpoints.put(current.label, current);
            int bigJobsToMeasure = 0;
            long dayRequests = 0;
            int dayLargestRequest = 0;
            long started = System.nanoTime();
            // after the last day the traffic goes on (the history does not grow by much) until the measured jobs have run
            for (long s = 0; ; s++) {
                for (TrafficModel.Send send : traffic.at(s)) {
                    for (int i = 0; i < send.examples(); i++) {
                        Example e = texts.get((int) (examplesSent % texts.size()));
                        processor.send(new FeedbackReceived(send.tenant() + "-" + examplesSent, send.tenant(), e.text(), e.label(),
                                null, null, processor.now()));
                        examplesSent++;
                    }
                }
                if (s % stepsPerDay == 0) {
                    dayRequests = 0;
                    dayLargestRequest = 0;
                }
                processor.advance(step);
                for (SimulatedStreamProcessor.Request request : processor.drain()) {
                    dayRequests++;
                    dayLargestRequest = Math.max(dayLargestRequest, request.recordBytes());
                    if (!(request.event() instanceof TrainingSnapshotRequested r)) {
                        continue;
                    }
                    if (r.tenant().equals(TrafficModel.VERSIONS) || (r.tenant().equals(TrafficModel.BIG) && s < stepsPerDay)) {
                        publish(processor, trainer.run(r, r.newExamples()).outcome());
                    } else if (r.tenant().equals(TrafficModel.BIG) && bigJobsToMeasure > 0) {
                        TrainerRuns.Measured measured = trainer.run(r, r.newExamples());
                        publish(processor, measured.outcome());
                        current.jobs.add(measured);
                        bigJobsToMeasure--;
                    }
                }
                boolean lastStepOfDayOne = s == stepsPerDay - 1;
                boolean lastStep = s == steps - 1;
                if (lastStepOfDayOne || lastStep) {
                    if (lastStep && !lastStepOfDayOne) {
                        current = new Checkpoint(days + " days");
                        checkpoints.put(current.label, current);
                    }
                    current.requests = dayRequests;
                    current.largestRequestBytes = dayLargestRequest;
                    measure(current, processor, datasets, infra, policies);
                    bigJobsToMeasure = measuredJobs;
                    System.err.printf(Locale.ROOT, "%s measured after %.0f s%n", current.label, (System.nanoTime() - started) / 1e9);
                } else if (s % stepsPerDay == 0) {
                    System.err.printf(Locale.ROOT, "day %d: %,d examples, %,d S3 puts, %,d deletes, %.0f s%n", s / stepsPerDay,
                            examplesSent, datasets.puts.get(), datasets.deletes.get(), (System.nanoTime() - started) / 1e9);
                }
                if (s >= steps - 1 && bigJobsToMeasure == 0) {
                    break;
                }
                if (s > steps + 10 * stepsPerDay) {
                    throw new IllegalStateException("the big tenant made no training request in the ten days after the run");
                }
            }
        }
        print();
        return 0;
    }

    private void measure(Checkpoint point, SimulatedStreamProcessor processor, CountingDatasetStore datasets, Infrastructure infra,
                         Map<String, String> policies) throws Exception {
        point.examplesSent = examplesSent;
        point.largestSnapshotBytes = datasets.largestSnapshot.getAndSet(0);
        point.objectsWritten = datasets.puts.get();
        point.objectsDeleted = datasets.deletes.get();
        point.bigShards = datasets.shardsByTenant.getOrDefault(TrafficModel.BIG, 0L);
        point.usage = BucketUsage.list(infra.s3().newClient(), infra.s3().bucket());
        Map<String, List<SimulatedStreamProcessor.ChangelogRecord>> changelogs = processor.changelogs();
        point.stores = SimulatedStreamProcessor.sizes(changelogs);
        String applicationId = SimulatedStreamProcessor.APPLICATION_ID + "-restart-" + point.label.replace(' ', '-');
        point.restart = ChangelogRestore.measure(infra.kafkaBootstrapServers(), applicationId, changelogs,
                SimulatedStreamProcessor.topology(CountingDatasetStore.inert(), policies, io.lorastream.streams.StoreMedium.ROCKSDB),
                processor.now());
    }

    private static void publish(SimulatedStreamProcessor processor, io.lorastream.trainer.TrainingJob.Outcome outcome) {
        processor.publish(outcome.event());
        if (outcome.retired() != null) {
            processor.publish((AdapterEvent) outcome.retired());
        }
    }

    private void print() {
        List<Checkpoint> points = new ArrayList<>(checkpoints.values());
        Checkpoint first = points.get(0);
        Checkpoint last = points.get(points.size() - 1);
        List<String[]> rows = new ArrayList<>();
        rows.add(row("measure", first.label, last.label, "goal"));
        rows.add(row("feedback examples sent", n(first.examplesSent), n(last.examplesSent), ""));
        rows.add(row("training requests that day (its last)", n(first.requests), n(last.requests), ""));
        rows.add(row("largest training-request record, bytes", n(first.largestRequestBytes), n(last.largestRequestBytes),
                "< 10,000 and within 10 %: " + flat(first.largestRequestBytes, last.largestRequestBytes)));
        rows.add(row("largest snapshot object, bytes", n(first.largestSnapshotBytes), n(last.largestSnapshotBytes), ""));
        for (int i = 0; i < first.stores.size(); i++) {
            var a = first.stores.get(i);
            var b = last.stores.get(i);
            rows.add(row("store " + a.store() + ": entries / bytes", n(a.entries()) + " / " + n(a.bytes()),
                    n(b.entries()) + " / " + n(b.bytes()), ""));
        }
        long firstEntries = first.stores.stream().mapToLong(SimulatedStreamProcessor.StoreSize::entries).sum();
        long lastEntries = last.stores.stream().mapToLong(SimulatedStreamProcessor.StoreSize::entries).sum();
        long firstBytes = first.stores.stream().mapToLong(SimulatedStreamProcessor.StoreSize::bytes).sum();
        long lastBytes = last.stores.stream().mapToLong(SimulatedStreamProcessor.StoreSize::bytes).sum();
        rows.add(row("stores in all: entries / bytes", n(firstEntries) + " / " + n(firstBytes), n(lastEntries) + " / " + n(lastBytes), ""));
        rows.add(row("S3 objects written so far (stream-processor) / deleted", n(first.objectsWritten) + " / " + n(first.objectsDeleted),
                n(last.objectsWritten) + " / " + n(last.objectsDeleted), ""));
        rows.add(row("shards " + TrafficModel.BIG + " sealed so far", n(first.bigShards), n(last.bigShards), ""));
        rows.add(row("S3 " + TrafficModel.BIG + ": objects / bytes", usage(first.usage.of(TrafficModel.BIG)), usage(last.usage.of(TrafficModel.BIG)), ""));
        rows.add(row("S3 " + TrafficModel.VERSIONS + ": objects / bytes", usage(first.usage.of(TrafficModel.VERSIONS)),
                usage(last.usage.of(TrafficModel.VERSIONS)), ""));
        List<String> trickle = traffic.trickleTenants();
        rows.add(row("S3 largest trickle tenant: objects / bytes", usage(first.usage.largest(trickle)), usage(last.usage.largest(trickle)), ""));
        rows.add(row("S3 all tenants: objects / bytes", usage(first.usage.total()), usage(last.usage.total()), ""));
        rows.add(row("big's measured jobs: new examples", examples(first), examples(last), ""));
        double t0 = median(first.jobs, m -> m.seconds());
        double t1 = median(last.jobs, m -> m.seconds());
        rows.add(row("job time, each s", times(first), times(last), ""));
        rows.add(row("job time, median s", f(t0), f(t1), "within 10 %: " + flat(t0, t1)));
        double a0 = median(first.jobs, m -> m.allocatedBytes() / 1e6);
        double a1 = median(last.jobs, m -> m.allocatedBytes() / 1e6);
        rows.add(row("job holdout examples graded, each", holdouts(first), holdouts(last), ""));
        // what the job's thread allocated follows how many examples it grades and trains: a figure, not a bound
        rows.add(row("job heap allocated, median MB", f(a0), f(a1), String.format(Locale.ROOT, "(%.2f×)", a1 / a0)));
        double h0 = median(first.jobs, m -> m.peakHeapBytes() / 1e6);
        double h1 = median(last.jobs, m -> m.peakHeapBytes() / 1e6);
        rows.add(row("job peak heap above its start, median MB", f(h0), f(h1), "within 10 %: " + flat(h0, h1)));
        rows.add(row("restart: restore every store from its changelog, s", f(first.restart.seconds()), f(last.restart.seconds()),
                "< 60, every record restored: " + (last.restart.seconds() < 60 && last.restart.complete() ? "met" : "MISSED")));
        rows.add(row("restart: records restored / in the changelogs", n(first.restart.restored()) + " / " + n(first.restart.records()),
                n(last.restart.restored()) + " / " + n(last.restart.records()), ""));

        int[] widths = new int[4];
        for (String[] r : rows) {
            for (int i = 0; i < 4; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            System.out.printf("| %-" + widths[0] + "s | %" + widths[1] + "s | %" + widths[2] + "s | %-" + widths[3] + "s |%n", (Object[]) r);
        }
    }

    private static String examples(Checkpoint p) {
        return String.join(", ", p.jobs.stream().map(m -> Integer.toString(m.requestExamples())).toList());
    }

    private static String holdouts(Checkpoint p) {
        return String.join(", ", p.jobs.stream().map(m -> Integer.toString(m.outcome().event().metrics().candidate().examples())).toList());
    }

    private static String times(Checkpoint p) {
        return String.join(", ", p.jobs.stream().map(m -> f(m.seconds())).toList());
    }

    private static double median(List<TrainerRuns.Measured> jobs, java.util.function.ToDoubleFunction<TrainerRuns.Measured> f) {
        double[] values = jobs.stream().mapToDouble(f).sorted().toArray();
        return values.length == 0 ? Double.NaN : values[values.length / 2];
    }

    private static String flat(double day, double year) {
        return String.format(Locale.ROOT, "%.2f× %s", year / day, Math.abs(year / day - 1) <= 0.10 ? "met" : "MISSED");
    }

    private static String usage(BucketUsage.Usage u) {
        return n(u.objects()) + " / " + n(u.bytes());
    }

    private static String n(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String[] row(String... cells) {
        return cells;
    }
}
