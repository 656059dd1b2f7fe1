package io.lorastream.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorastream.engine.Adapter;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.BertEncoder;
import io.lorastream.engine.Example;
import io.lorastream.engine.LoraConfig;
import io.lorastream.engine.TokenBatch;
import io.lorastream.engine.Trainer;
import io.lorastream.engine.TrainingConfig;
import io.lorastream.engine.TrainingListener;
import io.lorastream.engine.cli.ProcessMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The engine's performance goals (docs/architecture.md), measured in one run on this machine: a large fp32
 * matmul (the machine's practical peak), the base forward, LoRA training and full fine-tuning of the
 * same model on the same data. Each phase runs in its own JVM so its peak memory (VmHWM) is its own.
 * Prints a table and, last, one JSON line.
 */
@Command(name = "engine-bench", mixinStandardHelpOptions = true)
public final class EngineBench implements Callable<Integer> {
    /** MiniLM-L6 forward cost per token: 6 blocks · 2 · (4·384² + 2·384·1536) multiply-adds ≈ 21.2 MFLOP. */
    static final double MFLOP_PER_TOKEN = 21.2;

    @Option(names = "--sst2", defaultValue = "${sys:lorastream.root:-.}/load-tests/data/sst2", description = "directory with train.tsv and dev.tsv")
    Path sst2;

    @Option(names = "--train-examples", defaultValue = "4000")
    int trainExamples;

    @Option(names = "--profile", paramLabel = "DIR", description = "also run forward, LoRA and full fine-tuning once more "
            + "under libtorch's profiler, keep the traces in DIR and report the time in matrix products: how fast each "
            + "could go if everything else were free")
    Path profile;

    @Option(names = "--phase", hidden = true, description = "run one phase in this JVM and print its JSON")
    String phase;

    @Option(names = "--decoder", paramLabel = "DIR", description = "the decoder rows' base (a Llama, Qwen2 or Mistral "
            + "directory); default: a random checkpoint of Qwen2-0.5B's shape, written once into load-tests/target/bench "
            + "by load-tests/reference/random_checkpoint.py where Debian's python3-torch is installed")
    Path decoder;

    @Option(names = "--no-decoder", description = "leave the decoder rows out")
    boolean noDecoder;

    @Option(names = "--reference", defaultValue = "${sys:lorastream.root:-.}/load-tests/reference", paramLabel = "DIR",
            description = "the plain-PyTorch peers (encoder_peer.py, decoder_peer.py, random_checkpoint.py)")
    Path reference;

    @Option(names = "--encoder-rows", hidden = true, description = "where the forward phase writes the rows for the MiniLM peer")
    Path encoderRows;

    @Option(names = "--decoder-rows", hidden = true, description = "where the decoder-forward phase writes the rows for the peer")
    Path decoderRows;

    /**
     * Before DJL loads: every core for a product (unless -Dai.djl.pytorch.num_threads says otherwise), one thread between
     * products, and no downloads. Each engine benchmark's JVM calls it first.
     */
    static void configureTorch() {
        System.setProperty("ai.djl.pytorch.num_threads", System.getProperty("ai.djl.pytorch.num_threads",
                String.valueOf(Runtime.getRuntime().availableProcessors())));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.offline", "true");
    }

    public static void main(String[] args) {
        configureTorch();
        System.exit(new CommandLine(new EngineBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(sst2.resolve("train.tsv")) || !Files.isRegularFile(sst2.resolve("dev.tsv"))) {
            throw new IllegalArgumentException(sst2 + " must hold SST-2's train.tsv and dev.tsv (--sst2)");
        }
        if (phase != null) {
            System.out.println(new ObjectMapper().writeValueAsString(runPhase(phase)));
            return 0;
        }
        Map<String, Map<String, Object>> results = new LinkedHashMap<>();
        Map<String, Map<String, Object>> peer = null;
        String peerMissing = PyTorchPeer.missing();
        encoderRows = Files.createTempFile("encoder-rows", ".json");
        try {
            for (String p : List.of("matmul", "forward", "lora", "full")) {
                results.put(p, inChildJvm(p));
            }
            if (peerMissing == null) {
                // the same model's work in plain PyTorch, on the same rows, in this run: the goals are ratios to it
                peer = new LinkedHashMap<>();
                for (String p : List.of("forward", "lora", "full")) {
                    System.err.println("bench: PyTorch peer, MiniLM " + p + " ...");
                    peer.put(p, PyTorchPeer.json(reference.resolve("encoder_peer.py"), List.of(p, encoderRows.toString(),
                            String.valueOf(Runtime.getRuntime().availableProcessors()))));
                }
            }
        } finally {
            Files.deleteIfExists(encoderRows);
        }
        Map<String, Object> summary = report(results, peer, peerMissing);
        if (!noDecoder) {
            decoderRows(summary);
        }
        System.out.println(new ObjectMapper().writeValueAsString(summary));
        return 0;
    }

    private Map<String, Object> runPhase(String name) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        switch (name) {
            case "matmul" -> out.put("gflops", matmulGflops());
            case "forward" -> {
                try (BaseModel base = BaseModel.embedded(Device.cpu())) {
                    List<Example> dev = Example.readTsv(sst2.resolve("dev.tsv"));
                    if (encoderRows != null) {
                        EncoderRows.write(base, dev, Example.readTsv(sst2.resolve("train.tsv")), trainExamples, encoderRows);
                    }
                    out.putAll(forward(base, dev, profile));
                }
            }
            case "lora", "full" -> {
                List<Example> train = Example.readTsv(sst2.resolve("train.tsv"));
                boolean full = name.equals("full");
                try (BaseModel frozen = BaseModel.embedded(Device.cpu());
                     BaseModel model = full ? frozen.copyForFullFineTuning() : frozen;
                     Adapter adapter = Adapter.create(model, LoraConfig.defaults(), List.of("0", "1"), 42)) {
                    TrainingConfig config = new TrainingConfig(1, EncoderRows.TRAIN_BATCH, full ? EncoderRows.FULL_LR : EncoderRows.LORA_LR,
                            EncoderRows.WEIGHT_DECAY, EncoderRows.WARMUP_RATIO, EncoderRows.MAX_GRAD_NORM, EncoderRows.SEED, trainExamples, full);
                    // a short warm-up run first: first-call costs are not training speed
                    new Trainer(new TrainingConfig(1, EncoderRows.TRAIN_BATCH, 1e-4, 0, 0, EncoderRows.MAX_GRAD_NORM, 1,
                            EncoderRows.WARM_UP_EXAMPLES, full), TrainingListener.NONE).train(adapter, train, null);
                    Trainer.Result result = new Trainer(config, TrainingListener.NONE).train(adapter, train, null);
                    out.put("examples_per_s", result.examplesPerSecond());
                    out.put("tokens_per_s", result.tokensPerSecond());
                    out.put("examples", result.examples());
                    if (profile != null) {
                        profileAgain(out, profile.resolve(name + ".trace.json"),
                                () -> new Trainer(config, TrainingListener.NONE).train(adapter, train, null).examples());
                    }
                }
            }
            case "decoder-forward", "decoder-lora" -> {
                try (BaseModel base = DecoderRows.load(decoder)) {
                    DecoderRows.Selection rows = DecoderRows.select(base, Example.readTsv(sst2.resolve("dev.tsv")),
                            Example.readTsv(sst2.resolve("train.tsv")));
                    if (name.equals("decoder-forward")) {
                        DecoderRows.writeRows(rows, decoderRows);
                        out.put("tokens_per_s", DecoderRows.forwardTokensPerSecond(base, rows));
                    } else {
                        out.put("tokens_per_s", DecoderRows.loraTokensPerSecond(base, rows));
                    }
                    out.put("parameters", base.parameterCount());
                }
            }
            default -> throw new IllegalArgumentException("unknown phase " + name);
        }
        out.putIfAbsent("peak_rss_mib", peakRssMiB()); // unless a profiled run followed the measured one
        return out;
    }

    /** 2048³ fp32 matmul through the same engine: the machine's practical peak. */
    static double matmulGflops() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = m.randomNormal(new Shape(2048, 2048));
            NDArray b = m.randomNormal(new Shape(2048, 2048));
            for (int i = 0; i < 3; i++) {
                a.matMul(b).close();
            }
            int reps = 10;
            long start = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                a.matMul(b).close();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return reps * 2.0 * Math.pow(2048, 3) / seconds / 1e9;
        }
    }

    /**
     * After a phase's measured run: its peak memory so far (the profiler's event buffers are not the
     * phase's), then the same work once more under the profiler.
     */
    private static void profileAgain(Map<String, Object> out, Path trace, LongSupplier work) throws Exception {
        out.put("peak_rss_mib", peakRssMiB());
        out.putAll(profiled(trace, work));
    }

    /**
     * Runs {@code work} (returning how many units it did: tokens, examples) under libtorch's profiler,
     * keeps the trace at {@code trace}, and returns the time the work spent in matrix products. The
     * profiler slows everything else a little, not the products.
     */
    static Map<String, Object> profiled(Path trace, LongSupplier work) throws Exception {
        Files.createDirectories(trace.getParent());
        JniUtils.startProfile(false, false, false);
        long start = System.nanoTime();
        long units;
        try {
            units = work.getAsLong();
        } finally {
            JniUtils.stopProfile(trace.toString());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        TorchTrace.MatrixProducts products = TorchTrace.matrixProducts(trace);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("profiled_units", units);
        out.put("profiled_seconds", seconds);
        out.put("matrix_product_seconds", products.matrixProductSeconds());
        out.put("matrix_product_calls", products.calls());
        return out;
    }

    /** Base forward (no adapter) over the texts, batches of 32 sorted by length, 3 passes after a warm-up. */
    static Map<String, Object> forward(BaseModel base, List<Example> examples, Path profile) throws Exception {
        BertEncoder encoder = new BertEncoder(base);
        List<long[]> ids = new ArrayList<>(base.encode(examples.stream().map(Example::text).toList()));
        ids.sort(Comparator.comparingInt(r -> r.length));
        List<TokenBatch> batches = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += EncoderRows.FORWARD_BATCH) {
            batches.add(TokenBatch.pad(ids.subList(i, Math.min(ids.size(), i + EncoderRows.FORWARD_BATCH))));
        }
        runForward(base, encoder, batches);
        long tokens = 0;
        long start = System.nanoTime();
        for (int pass = 0; pass < EncoderRows.FORWARD_PASSES; pass++) {
            tokens += runForward(base, encoder, batches);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tokens_per_s", tokens / seconds);
        out.put("gflops", tokens / seconds * MFLOP_PER_TOKEN / 1000);
        if (profile != null) {
            profileAgain(out, profile.resolve("forward.trace.json"), () -> runForward(base, encoder, batches));
        }
        return out;
    }

    private static long runForward(BaseModel base, BertEncoder encoder, List<TokenBatch> batches) {
        long tokens = 0;
        for (TokenBatch batch : batches) {
            try (NDManager scope = base.newScope()) {
                encoder.forward(scope, batch, encoder.baseProjections()).toFloatArray();
                tokens += batch.tokens();
            }
        }
        return tokens;
    }

    private Map<String, Object> inChildJvm(String name) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx6g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), EngineBench.class.getName(),
                "--sst2", sst2.toString(), "--train-examples", String.valueOf(trainExamples), "--phase", name));
        if (profile != null && !name.startsWith("decoder")) {
            command.addAll(List.of("--profile", profile.toAbsolutePath().toString()));
        }
        if (name.startsWith("decoder")) {
            command.addAll(List.of("--decoder", decoder.toAbsolutePath().toString(), "--decoder-rows", decoderRows.toAbsolutePath().toString()));
        }
        if (name.equals("forward") && encoderRows != null) {
            command.addAll(List.of("--encoder-rows", encoderRows.toAbsolutePath().toString()));
        }
        System.err.println("bench: phase " + name + " ...");
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return LastJsonLine.of(process, "phase " + name);
    }

    /**
     * The decoder rows: the engine's forward and LoRA training on a decoder base, each phase in its own JVM, and the
     * plain-PyTorch peer on the same rows in the same run, each phase in its own process; ratios engine / PyTorch.
     */
    private void decoderRows(Map<String, Object> summary) throws Exception {
        String peerMissing = PyTorchPeer.missing();
        if (decoder == null) {
            if (peerMissing != null) {
                System.out.println("decoder rows skipped: no --decoder DIR, and no random checkpoint can be written: " + peerMissing);
                return;
            }
            decoder = reference.resolve("../target/bench/qwen2-0.5b").normalize();
            if (!Files.isRegularFile(decoder.resolve("model.safetensors"))) {
                System.err.println("bench: writing a random Qwen2-0.5B-shaped checkpoint into " + decoder + " ...");
                PyTorchPeer.run(reference.resolve("random_checkpoint.py"), List.of("qwen2-0.5b", decoder.toString()));
            }
        }
        decoderRows = Files.createTempFile("decoder-rows", ".json");
        try {
            Map<String, Object> forward = inChildJvm("decoder-forward");
            Map<String, Object> lora = inChildJvm("decoder-lora");
            Map<String, Object> peerForward = null;
            Map<String, Object> peerLora = null;
            if (peerMissing == null) {
                int threads = Runtime.getRuntime().availableProcessors();
                List<String> args = List.of(decoder.toString(), decoderRows.toString(), String.valueOf(threads));
                System.err.println("bench: PyTorch peer, decoder forward ...");
                peerForward = PyTorchPeer.json(reference.resolve("decoder_peer.py"), prepend("forward", args));
                System.err.println("bench: PyTorch peer, decoder LoRA ...");
                peerLora = PyTorchPeer.json(reference.resolve("decoder_peer.py"), prepend("lora", args));
            }
            System.out.printf(Locale.ROOT, "decoder %s (%,d parameters), %d-token rows, %d threads:%n", decoder.getFileName(),
                    ((Number) forward.get("parameters")).longValue(), DecoderRows.TOKENS, Runtime.getRuntime().availableProcessors());
            System.out.printf(Locale.ROOT, "%-34s %12s %12s %8s%n", "measure", "engine", "PyTorch", "ratio");
            summary.put("decoder", decoder.getFileName().toString());
            summary.put("decoder_parameters", forward.get("parameters"));
            sideBySide(summary, "decoder forward tokens/s", "decoder_forward_tokens_per_s", forward, peerForward, "tokens_per_s");
            sideBySide(summary, "decoder LoRA q,v r=8 tokens/s", "decoder_lora_tokens_per_s", lora, peerLora, "tokens_per_s");
            sideBySide(summary, "decoder forward peak RSS MiB", "decoder_forward_peak_rss_mib", forward, peerForward, "peak_rss_mib");
            sideBySide(summary, "decoder LoRA peak RSS MiB", "decoder_lora_peak_rss_mib", lora, peerLora, "peak_rss_mib");
            if (peerForward != null) {
                summary.put("pytorch_matmul_gflops", peerForward.get("matmul_gflops"));
                summary.put("pytorch_version", peerForward.get("torch"));
                System.out.printf(Locale.ROOT, "%-34s %12.2f %12.2f%n", "matmul 2048³ fp32 GFLOP/s", summary.get("matmul_gflops"),
                        num(peerForward, "matmul_gflops"));
            } else {
                System.out.println("PyTorch peer skipped: " + peerMissing);
            }
        } finally {
            Files.deleteIfExists(decoderRows);
        }
    }

    private static List<String> prepend(String first, List<String> rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(rest);
        return all;
    }

    private static void sideBySide(Map<String, Object> summary, String label, String key, Map<String, Object> engine,
                                   Map<String, Object> peer, String field) {
        double ours = num(engine, field);
        summary.put(key, ours);
        if (peer == null) {
            System.out.printf(Locale.ROOT, "%-34s %12.2f %12s %8s%n", label, ours, "-", "-");
            return;
        }
        double theirs = num(peer, field);
        summary.put(key.replace("decoder_", "decoder_pytorch_"), theirs);
        summary.put(key + "_vs_pytorch", ours / theirs);
        System.out.printf(Locale.ROOT, "%-34s %12.2f %12.2f %8.2f%n", label, ours, theirs, ours / theirs);
    }

    /**
     * The table and the summary: the engine's rates, and with the PyTorch peer of the same run (null where it could not
     * run, {@code peerMissing} says why) its rates and the ratios the goals are set on.
     */
    private static Map<String, Object> report(Map<String, Map<String, Object>> r, Map<String, Map<String, Object>> peer,
                                              String peerMissing) throws Exception {
        double matmul = num(r.get("matmul"), "gflops");
        double fwdTokens = num(r.get("forward"), "tokens_per_s");
        double fwdGflops = num(r.get("forward"), "gflops");
        double lora = num(r.get("lora"), "examples_per_s");
        double full = num(r.get("full"), "examples_per_s");
        String cpu = cpu();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("bench", "engine");
        summary.put("cores", Runtime.getRuntime().availableProcessors());
        // the VM's host CPU changes between days, and with it the fp32 peak (README "Engine")
        summary.put("cpu", cpu);
        // the launcher preloads the MKL dispatch shim where it was built (README "Engine")
        summary.put("mkl_intel_dispatch", String.valueOf(System.getenv("LD_PRELOAD")).contains("mkl-intel-dispatch"));
        summary.put("matmul_gflops", matmul);
        summary.put("forward_tokens_per_s", fwdTokens);
        summary.put("forward_gflops", fwdGflops);
        summary.put("forward_efficiency", fwdGflops / matmul);
        summary.put("lora_examples_per_s", lora);
        summary.put("lora_tokens_per_s", num(r.get("lora"), "tokens_per_s"));
        summary.put("lora_peak_rss_mib", num(r.get("lora"), "peak_rss_mib"));
        summary.put("full_examples_per_s", full);
        summary.put("full_tokens_per_s", num(r.get("full"), "tokens_per_s"));
        summary.put("full_peak_rss_mib", num(r.get("full"), "peak_rss_mib"));
        summary.put("lora_vs_full_speed", lora / full);
        // without the peer, no goal: a ratio to figures from another day or host would not mean anything
        double peerForward = Double.NaN;
        double peerLora = Double.NaN;
        double peerFull = Double.NaN;
        if (peer != null) {
            peerForward = num(peer.get("forward"), "tokens_per_s");
            peerLora = num(peer.get("lora"), "examples_per_s");
            peerFull = num(peer.get("full"), "examples_per_s");
            summary.put("pytorch_version", peer.get("forward").get("torch"));
            summary.put("pytorch_matmul_gflops", peer.get("forward").get("matmul_gflops"));
            summary.put("pytorch_forward_tokens_per_s", peerForward);
            summary.put("pytorch_lora_examples_per_s", peerLora);
            summary.put("pytorch_full_examples_per_s", peerFull);
            summary.put("pytorch_lora_peak_rss_mib", peer.get("lora").get("peak_rss_mib"));
            summary.put("pytorch_full_peak_rss_mib", peer.get("full").get("peak_rss_mib"));
            summary.put("forward_vs_pytorch", fwdTokens / peerForward);
            summary.put("lora_vs_pytorch", lora / peerLora);
            summary.put("full_vs_pytorch", full / peerFull);
        }

        System.out.println("cpu: " + cpu);
        System.out.printf(Locale.ROOT, "%-34s %12s %12s %8s%n", "measure", "value", "goal", "met");
        row("matmul 2048³ fp32 GFLOP/s", matmul, Double.NaN);
        row("forward tokens/s", fwdTokens, BenchReport.FORWARD_VS_PYTORCH.bound() * peerForward);
        row("forward efficiency (of matmul)", fwdGflops / matmul, BenchReport.FORWARD_EFFICIENCY_VS_MATMUL.bound());
        row("LoRA q,v r=8 examples/s", lora, BenchReport.LORA_VS_PYTORCH.bound() * peerLora);
        row("full fine-tuning examples/s", full, BenchReport.FULL_FINETUNE_VS_PYTORCH.bound() * peerFull);
        row("LoRA peak RSS MiB", num(r.get("lora"), "peak_rss_mib"), Double.NaN);
        row("full fine-tuning peak RSS MiB", num(r.get("full"), "peak_rss_mib"), Double.NaN);
        row("LoRA / full speed", lora / full, Double.NaN);
        if (peer != null) {
            System.out.printf(Locale.ROOT, "MiniLM beside plain PyTorch %s in this run (same rows, batches, schedule, %d threads):%n",
                    peer.get("forward").get("torch"), Runtime.getRuntime().availableProcessors());
            System.out.printf(Locale.ROOT, "%-34s %12s %12s %8s %8s%n", "measure", "engine", "PyTorch", "ratio", "goal");
            sideBySideRow("matmul 2048³ fp32 GFLOP/s", matmul, num(peer.get("forward"), "matmul_gflops"), null);
            sideBySideRow("forward tokens/s", fwdTokens, peerForward, BenchReport.FORWARD_VS_PYTORCH);
            sideBySideRow("LoRA q,v r=8 examples/s", lora, peerLora, BenchReport.LORA_VS_PYTORCH);
            sideBySideRow("full fine-tuning examples/s", full, peerFull, BenchReport.FULL_FINETUNE_VS_PYTORCH);
            sideBySideRow("LoRA peak RSS MiB", num(r.get("lora"), "peak_rss_mib"), num(peer.get("lora"), "peak_rss_mib"), null);
            sideBySideRow("full fine-tuning peak RSS MiB", num(r.get("full"), "peak_rss_mib"), num(peer.get("full"), "peak_rss_mib"), null);
        } else {
            System.out.println("MiniLM PyTorch peer skipped, so no ratio and no goal: " + peerMissing);
        }
        if (r.get("lora").containsKey("matrix_product_seconds")) {
            // what matrix products alone allow, and how much of today's other work each goal leaves room for
            System.out.println("matrix products (profiled runs, traces in --profile DIR):");
            bound(summary, "forward", "tokens/s", r.get("forward"), fwdTokens, BenchReport.FORWARD_VS_PYTORCH.bound() * peerForward);
            bound(summary, "lora", "examples/s", r.get("lora"), lora, BenchReport.LORA_VS_PYTORCH.bound() * peerLora);
            bound(summary, "full", "examples/s", r.get("full"), full, BenchReport.FULL_FINETUNE_VS_PYTORCH.bound() * peerFull);
        }
        return summary;
    }

    /**
     * The rate if matrix products were the only cost, and the share of today's other work (everything but
     * matrix products, per unit) that fits beside the products within the goal's time per unit: 1 means
     * the other work may stay as it is, 0 or less that no amount of work on it reaches the goal.
     */
    private static void bound(Map<String, Object> summary, String phase, String unit, Map<String, Object> result,
                              double rate, double goal) {
        double productsPerUnit = num(result, "matrix_product_seconds") / num(result, "profiled_units");
        double ceiling = 1 / productsPerUnit;
        double otherAllowed = (1 / goal - productsPerUnit) / (1 / rate - productsPerUnit);
        summary.put(phase + "_matrix_product_ceiling", ceiling);
        summary.put(phase + "_other_work_allowed", otherAllowed);
        row("  " + phase + " ceiling, " + unit, ceiling, goal);
        row("  " + phase + " other work the goal allows", otherAllowed, Double.NaN);
    }

    private static void sideBySideRow(String name, double ours, double theirs, BenchReport.Goal goal) {
        System.out.printf(Locale.ROOT, "%-34s %12.2f %12.2f %8.2f %8s%n", name, ours, theirs, ours / theirs,
                goal == null ? "" : String.format(Locale.ROOT, "≥ %.1f %s", goal.bound(), goal.metBy(ours / theirs) ? "yes" : "no"));
    }

    private static void row(String name, double value, double goal) {
        System.out.printf(Locale.ROOT, "%-34s %12.2f %12s %8s%n", name, value,
                Double.isNaN(goal) ? "" : String.format(Locale.ROOT, "≥ %.2f", goal),
                Double.isNaN(goal) ? "" : value >= goal ? "yes" : "no");
    }

    private static double num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    /** vendor, family and model from /proc/cpuinfo ("AuthenticAMD family 25 model 17" is Zen 4), or "unknown". */
    static String cpu() {
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.isBlank()) {
                    break; // the first processor is enough
                }
                int colon = line.indexOf(':');
                if (colon > 0) {
                    fields.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
        } catch (java.io.IOException e) {
            return "unknown";
        }
        return fields.containsKey("cpu family")
                ? fields.getOrDefault("vendor_id", "?") + " family " + fields.get("cpu family") + " model " + fields.getOrDefault("model", "?")
                : "unknown";
    }

    /** Peak resident memory of this process (Linux VmHWM). */
    static double peakRssMiB() throws Exception {
        return ProcessMemory.peakRssMiB();
    }

    /** A memory figure of this process from /proc/self/status (VmRSS, VmHWM, …), MiB. */
    static double procStatusMiB(String field) throws Exception {
        return ProcessMemory.statusMiB(field);
    }
}
