package io.lorastream.engine.cli;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lorastream.engine.Adapter;
import io.lorastream.engine.AdapterFiles;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Classifier;
import io.lorastream.engine.Devices;
import io.lorastream.engine.EncoderConfig;
import io.lorastream.engine.Example;
import io.lorastream.engine.LoraConfig;
import io.lorastream.engine.Metrics;
import io.lorastream.engine.Trainer;
import io.lorastream.engine.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./lorastream engine train | eval | predict}: the engine without any service around it. */
@Command(name = "lorastream engine", mixinStandardHelpOptions = true,
        description = "Train, evaluate and use LoRA adapters on the frozen base, locally.",
        subcommands = {EngineCli.Train.class, EngineCli.Eval.class, EngineCli.Predict.class, EngineCli.Inspect.class})
public final class EngineCli {

    public static void main(String[] args) {
        // Before DJL starts: one intra-op pool the size of the machine, no oversubscription.
        int cores = Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.pytorch.num_threads", System.getProperty("ai.djl.pytorch.num_threads", String.valueOf(cores)));
        System.setProperty("ai.djl.pytorch.num_interop_threads", System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
        System.setProperty("ai.djl.offline", "true");
        CommandLine cli = new CommandLine(new EngineCli());
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            System.err.println("error: " + e.getMessage());
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        System.exit(cli.execute(args));
    }

    /** Options every subcommand shares. */
    static class BaseOptions {
        @Option(names = "--base", description = "Hugging Face model directory (config.json, model.safetensors or its shards, tokenizer.json; docs/engine.md, Bases); default: the embedded all-MiniLM-L6-v2")
        Path base;

        @Option(names = "--device", defaultValue = "auto", description = "auto | cpu | gpu (default: ${DEFAULT-VALUE})")
        String device;

        @Option(names = "--batch-size", defaultValue = "32", description = "examples per batch (default: ${DEFAULT-VALUE})")
        int batchSize;

        BaseModel loadBase() {
            Device chosen = Devices.choose(device);
            return base == null ? BaseModel.embedded(chosen) : BaseModel.fromDirectory(base, chosen, EncoderConfig.MINILM_L6.maxSequenceLength());
        }
    }

    @Command(name = "train", description = "Train an adapter on FILE.tsv (header sentence<TAB>label) and save it to --out.")
    static final class Train extends BaseOptions implements Callable<Integer> {
        @Option(names = "--train", required = true) Path train;
        @Option(names = "--eval", description = "held-out FILE.tsv: evaluated each epoch, the best epoch is kept") Path eval;
        @Option(names = "--out", required = true) Path out;
        @Option(names = "--max-examples", defaultValue = "0", description = "use at most N training examples (0 = all)") int maxExamples;
        @Option(names = "--epochs", defaultValue = "1") int epochs;
        @Option(names = "--lr", description = "peak learning rate (default 1e-3, or 5e-5 with --full-finetune)") Double lr;
        @Option(names = "--rank", defaultValue = "8") int rank;
        @Option(names = "--alpha", defaultValue = "16") double alpha;
        @Option(names = "--dropout", defaultValue = "0.1") double dropout;
        @Option(names = "--targets", description = "the base family's names (BERT query, key, value, attention.output.dense, intermediate.dense, output.dense; decoders q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; …) or all-linear; default: the attention's query and value") String targets;
        @Option(names = "--rslora", description = "scaling alpha/sqrt(r)") boolean rslora;
        @Option(names = "--weight-decay", defaultValue = "0.01") double weightDecay;
        @Option(names = "--warmup-ratio", defaultValue = "0.06") double warmupRatio;
        @Option(names = "--init-from", description = "warm start: continue training this adapter (and its head)") Path initFrom;
        @Option(names = "--head", description = "the new adapter's head: BERT pooler | mean, RoBERTa classification-head | mean, DistilBERT pre-classifier | mean, decoders score; default: the base's (the mean for the embedded MiniLM)") String head;
        @Option(names = "--seed", defaultValue = "42") long seed;
        @Option(names = "--full-finetune", description = "train every base weight (a copy) instead of LoRA; for benchmarks, writes metrics only") boolean fullFinetune;

        @Override
        public Integer call() throws Exception {
            List<Example> trainSet = Example.readTsv(train);
            if (initFrom != null) {
                AdapterFiles.requireComplete(initFrom);
            }
            List<Example> evalSet = eval == null ? List.of() : Example.readTsv(eval);
            TrainingConfig config = new TrainingConfig(epochs, batchSize, lr != null ? lr : fullFinetune ? 5e-5 : 1e-3,
                    weightDecay, warmupRatio, 1.0, seed, maxExamples, fullFinetune);
            try (BaseModel frozen = loadBase();
                 BaseModel model = fullFinetune ? frozen.copyForFullFineTuning() : frozen) {
                List<String> labels = trainSet.stream().map(Example::label).distinct().sorted().toList();
                LoraConfig lora = new LoraConfig(rank, alpha, dropout, targets == null ? LoraConfig.defaults().targetModules()
                        : LoraConfig.parseTargets(model.config().family(), targets, model.config().numLayers()),
                        rslora, List.of(LoraConfig.CLASSIFIER));
                try (Adapter adapter = initFrom != null ? AdapterFiles.load(initFrom, model) : Adapter.create(model, lora, head == null ? model.defaultHead() : model.config().family().head(head), labels, seed)) {
                    System.out.println(fullFinetune
                            ? String.format(Locale.ROOT, "full fine-tuning: trainable params: %,d", model.parameterCount() + adapter.labels().size() * (model.config().hiddenSize() + 1L))
                            : adapter.trainableParametersLine());
                    Trainer.Result result;
                    try (TrainingProgress progress = new TrainingProgress()) {
                        result = new Trainer(config, progress).train(adapter, trainSet, evalSet);
                    }
                    Files.createDirectories(out);
                    if (!fullFinetune) {
                        AdapterFiles.save(adapter, out);
                    }
                    writeReport(adapter, config, result);
                    System.out.printf(Locale.ROOT, "trained %d examples (%d tokens) in %.1f s: %.1f examples/s, %.0f tokens/s%n",
                            result.examples(), result.tokens(), result.duration().toNanos() / 1e9,
                            result.examplesPerSecond(), result.tokensPerSecond());
                    if (result.best() != null) {
                        System.out.println("best epoch " + result.bestEpoch() + ": " + result.best());
                    }
                    System.out.println(fullFinetune ? "full fine-tuning is for benchmarks: metrics written to " + out.resolve("training.json")
                            : "adapter saved to " + out + " (" + Files.size(out.resolve(AdapterFiles.WEIGHTS)) + " bytes of weights)");
                }
            }
            return 0;
        }

        private void writeReport(Adapter adapter, TrainingConfig config, Trainer.Result result) throws Exception {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("base", Map.of("id", adapter.base().id(), "sha256", adapter.base().sha256()));
            report.put("training", config);
            report.put("lora", fullFinetune ? null : Map.of("r", adapter.config().r(), "alpha", adapter.config().loraAlpha(),
                    "dropout", adapter.config().loraDropout(), "targets", adapter.config().targetModules().toString()));
            report.put("examples", result.examples());
            report.put("tokens", result.tokens());
            report.put("seconds", result.duration().toNanos() / 1e9);
            report.put("examplesPerSecond", result.examplesPerSecond());
            report.put("epochs", result.epochs());
            report.put("bestEpoch", result.bestEpoch());
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("training.json").toFile(), report);
        }
    }

    @Command(name = "eval", description = "Evaluate an adapter; the last line is accuracy=0.XXXX examples=N.")
    static final class Eval extends BaseOptions implements Callable<Integer> {
        @Option(names = "--adapter", required = true) Path adapterDir;
        @Option(names = "--data", required = true) Path data;

        @Override
        public Integer call() throws Exception {
            List<Example> examples = Example.readTsv(data);
            AdapterFiles.requireComplete(adapterDir);
            try (BaseModel model = loadBase(); Adapter adapter = AdapterFiles.load(adapterDir, model)) {
                long start = System.nanoTime();
                Metrics metrics = new Classifier(adapter, batchSize).evaluate(examples);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "macro_f1=%.4f loss=%.4f (%.1f examples/s)%n", metrics.macroF1(), metrics.loss(), examples.size() / seconds);
                System.out.printf(Locale.ROOT, "accuracy=%.4f examples=%d%n", metrics.accuracy(), metrics.examples());
            }
            return 0;
        }
    }

    @Command(name = "predict", description = "Label one text and print the probability of every label.")
    static final class Predict extends BaseOptions implements Callable<Integer> {
        @Option(names = "--adapter", required = true) Path adapterDir;
        @Option(names = "--text", required = true) String text;

        @Override
        public Integer call() {
            AdapterFiles.requireComplete(adapterDir);
            try (BaseModel model = loadBase(); Adapter adapter = AdapterFiles.load(adapterDir, model)) {
                Classifier.Prediction prediction = new Classifier(adapter, 1).predict(List.of(text)).get(0);
                System.out.println("label=" + prediction.label());
                prediction.probabilities().forEach((label, p) -> System.out.printf(Locale.ROOT, "p(%s)=%.4f%n", label, p));
            }
            return 0;
        }
    }

    @Command(name = "inspect", description = "Load a base and print what the engine makes of it: family, shape, parameters, sha256, "
            + "load time and the process's peak memory.")
    static final class Inspect extends BaseOptions implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            long started = System.nanoTime();
            try (BaseModel model = loadBase()) {
                double seconds = (System.nanoTime() - started) / 1e9;
                System.out.println("base=" + model.id());
                System.out.println("family=" + model.config().family() + " (" + model.config().getClass().getSimpleName() + ")");
                System.out.println("layers=" + model.config().numLayers() + " hidden=" + model.config().hiddenSize()
                        + " max_tokens=" + model.config().maxSequenceLength());
                System.out.printf(Locale.ROOT, "parameters=%,d (f32 in memory: %.0f MiB)%n", model.parameterCount(), model.parameterCount() * 4 / 1048576.0);
                System.out.println("sha256=" + model.sha256());
                System.out.printf(Locale.ROOT, "load_seconds=%.1f peak_rss_mib=%.0f heap_used_mib=%.0f%n", seconds, ProcessMemory.peakRssMiB(),
                        (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1048576.0);
            }
            return 0;
        }
    }
}
