package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An adapter on disk, in PEFT's {@code save_pretrained} layout so PEFT can read it:
 * <pre>
 *   adapter_config.json          peft_type LORA, task_type SEQ_CLS, r, lora_alpha, target_modules, …
 *   adapter_model.safetensors    base_model.model.bert.encoder.layer.N.….lora_A.weight / lora_B.weight and
 *                                base_model.model.bert.pooler.dense.weight / .bias and
 *                                base_model.model.classifier.weight / .bias (BERT; its mean head: the classifier only);
 *                                base_model.model.model.layers.N.….lora_A.weight / lora_B.weight and
 *                                base_model.model.score.weight (Llama, Qwen2, Mistral); RoBERTa's and DistilBERT's
 *                                heads under their own names (classifier.dense/out_proj, pre_classifier + classifier)
 *   lorastream_adapter.json      what PEFT has no field for: labels, the head's name and pooling, the base's sha256
 * </pre>
 * Loading checks everything before building anything: a file for another base, a wrong shape or a
 * truncated file fails with a message, never with a half-loaded adapter.
 */
public final class AdapterFiles {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    public static final String LORASTREAM = "lorastream_adapter.json";
    /** Every file of a saved adapter. */
    public static final List<String> FILES = List.of(CONFIG, WEIGHTS, LORASTREAM);

    /** What PEFT adds to modules_to_save for task_type SEQ_CLS, whatever the model calls its head. */
    private static final List<String> PEFT_SEQ_CLS_TO_SAVE = List.of("classifier", "score");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AdapterFiles() {}

    /** Writes the three files (each to a temporary name, then renamed into place). */
    public static void save(Adapter adapter, Path dir) {
        try {
            Files.createDirectories(dir);
            LoraConfig config = adapter.config();
            BaseConfig c = adapter.base().config();

            ObjectNode peft = JSON.createObjectNode();
            peft.put("peft_type", "LORA");
            peft.put("task_type", "SEQ_CLS");
            peft.put("r", config.r());
            peft.put("lora_alpha", config.loraAlpha());
            peft.put("lora_dropout", config.loraDropout());
            peft.putPOJO("target_modules", c.family().peftTargetModules(config.targetModules(), c.numLayers()));
            peft.putPOJO("modules_to_save", adapter.head().modulesToSave()); // the family's names for the adapter's head
            peft.put("base_model_name_or_path", adapter.base().id());
            peft.put("use_rslora", config.useRslora());
            peft.put("bias", "none");
            peft.put("fan_in_fan_out", false);
            peft.put("inference_mode", true);
            peft.put("init_lora_weights", true);
            peft.put("use_dora", false);

            ObjectNode ours = JSON.createObjectNode();
            ours.put("format", 1);
            ours.putPOJO("labels", adapter.labels());
            ours.put("head", adapter.head().name());
            ours.put("pooling", adapter.head().pooling().id());
            ObjectNode baseNode = ours.putObject("base_model");
            baseNode.put("id", adapter.base().id());
            baseNode.put("sha256", adapter.base().sha256());
            baseNode.put("hidden_size", c.hiddenSize());
            baseNode.put("num_layers", c.numLayers());

            NDList tensors = new NDList();
            for (Map.Entry<String, NDArray> entry : adapter.tensors().entrySet()) {
                NDArray copy = entry.getValue().duplicate(); // named copies: the live tensors keep their names
                copy.setName(entry.getKey());
                tensors.add(copy);
            }
            try {
                write(dir, WEIGHTS, out -> tensors.encode(out, NDList.Encoding.SAFETENSORS));
            } finally {
                tensors.close();
            }
            write(dir, CONFIG, out -> JSON.writeValue(out, peft));
            write(dir, LORASTREAM, out -> JSON.writeValue(out, ours));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save adapter to " + dir, e);
        }
    }

    /** Fails naming the first missing file: cheap, so callers can check before loading a base. */
    public static void requireComplete(Path dir) {
        for (String file : FILES) {
            if (!Files.isRegularFile(dir.resolve(file))) {
                throw new IllegalArgumentException(dir + " is not a LoraStream adapter: " + file + " is missing");
            }
        }
    }

    /** Reads an adapter for {@code base}; refuses one made for another base. */
    public static Adapter load(Path dir, BaseModel base) {
        try {
            requireComplete(dir);
            JsonNode ours = JSON.readTree(dir.resolve(LORASTREAM).toFile());
            String sha = ours.path("base_model").path("sha256").asText();
            if (!sha.equals(base.sha256())) {
                throw new IllegalArgumentException("adapter " + dir + " was trained on base "
                        + ours.path("base_model").path("id").asText() + " (sha256 " + sha + "), not on "
                        + base.id() + " (sha256 " + base.sha256() + ")");
            }
            List<String> labels = new ArrayList<>();
            ours.path("labels").forEach(label -> labels.add(label.asText()));
            return read(dir, base, head(dir, ours, base.config().family()), labels, false);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot load adapter from " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads what PEFT's {@code save_pretrained} wrote for a {@code …ForSequenceClassification} of {@code base}'s family, with
     * no {@code lorastream_adapter.json}: the family's Hugging Face head, saved in full ({@code modules_to_save}), and the
     * given labels, one per row of the head's last layer. PEFT records no hash of its base, so only the tensors' shapes
     * tie the adapter to {@code base}. PEFT adds its own defaults for the task ("classifier", "score") to
     * {@code modules_to_save}; those are allowed beside the head's names, and the tensors must still be exactly the head's.
     */
    public static Adapter loadPeft(Path dir, BaseModel base, List<String> labels) {
        for (String file : List.of(CONFIG, WEIGHTS)) {
            if (!Files.isRegularFile(dir.resolve(file))) {
                throw new IllegalArgumentException(dir + " is not a PEFT adapter: " + file + " is missing");
            }
        }
        try {
            return read(dir, base, base.config().family().huggingFaceHead(), labels, true);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot load adapter from " + dir + ": " + e.getMessage(), e);
        }
    }

    /** adapter_config.json and adapter_model.safetensors, everything checked before the adapter is built. */
    private static Adapter read(Path dir, BaseModel base, Family.Head head, List<String> labels, boolean peftDefaultsToSave)
            throws IOException {
        JsonNode peft = JSON.readTree(dir.resolve(CONFIG).toFile());
        if (!peft.path("peft_type").asText().equals("LORA") || !peft.path("task_type").asText().equals("SEQ_CLS")) {
            throw new IllegalArgumentException(dir.resolve(CONFIG) + ": peft_type " + peft.path("peft_type").asText()
                    + " / task_type " + peft.path("task_type").asText() + " (LORA / SEQ_CLS expected)");
        }
        for (String off : List.of("fan_in_fan_out", "use_dora", "lora_bias")) {
            if (peft.path(off).asBoolean(false)) {
                throw new IllegalArgumentException(dir.resolve(CONFIG) + ": " + off + "=true is not supported");
            }
        }
        if (!peft.path("bias").asText("none").equals("none")) {
            throw new IllegalArgumentException(dir.resolve(CONFIG) + ": bias=" + peft.path("bias").asText() + " is not supported (none)");
        }
        for (String perModule : List.of("rank_pattern", "alpha_pattern", "layers_to_transform")) {
            JsonNode value = peft.path(perModule);
            if (!value.isMissingNode() && !value.isNull() && !value.isEmpty()) {
                throw new IllegalArgumentException(dir.resolve(CONFIG) + ": " + perModule + "=" + value
                        + " is not supported (one rank and alpha for every targeted linear of every block)");
            }
        }
        List<String> targets = new ArrayList<>();
        peft.path("target_modules").forEach(t -> targets.add(t.asText()));
        if (peft.path("target_modules").isTextual()) {
            targets.add(peft.path("target_modules").asText());
        }
        List<String> modulesToSave = new ArrayList<>();
        peft.path("modules_to_save").forEach(m -> modulesToSave.add(m.asText()));
        Family family = base.config().family();
        boolean headSaved = peftDefaultsToSave
                ? modulesToSave.containsAll(head.modulesToSave()) && modulesToSave.stream()
                        .allMatch(m -> head.modulesToSave().contains(m) || PEFT_SEQ_CLS_TO_SAVE.contains(m))
                : modulesToSave.equals(head.modulesToSave());
        if (!headSaved) {
            throw new IllegalArgumentException(dir.resolve(CONFIG) + ": modules_to_save " + modulesToSave + " (" + head.modulesToSave()
                    + " expected: the " + head.name() + " head of a " + family + " sequence classifier)");
        }
        LoraConfig config = new LoraConfig(peft.path("r").asInt(), peft.path("lora_alpha").asDouble(),
                peft.path("lora_dropout").asDouble(), LoraConfig.parseTargets(family, String.join(",", targets), base.config().numLayers()),
                peft.path("use_rslora").asBoolean(false), List.of(LoraConfig.CLASSIFIER));

        Map<String, Shape> expected = AdapterTensors.expectedShapes(base, config, head, labels.size());
        Map<String, FloatTensor> tensors = Safetensors.read(dir.resolve(WEIGHTS), name -> true);
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Map.Entry<String, FloatTensor> entry : tensors.entrySet()) {
            Shape want = expected.get(entry.getKey());
            if (want == null) {
                throw new IllegalArgumentException(dir.resolve(WEIGHTS) + ": unexpected tensor " + entry.getKey());
            }
            long[] shape = entry.getValue().shape();
            if (!want.equals(new Shape(shape))) {
                throw new IllegalArgumentException(dir.resolve(WEIGHTS) + ": " + entry.getKey() + " has shape "
                        + new Shape(shape) + ", expected " + want);
            }
            values.put(entry.getKey(), entry.getValue().data());
        }
        return Adapter.fromValues(base, config, head, labels, values);
    }

    /**
     * The head {@code lorastream_adapter.json} names, its pooling checked against the head's; a file from before heads were
     * named records only the pooling, which then picks the family's head that pools so (BERT's mean, the others' own).
     */
    private static Family.Head head(Path dir, JsonNode ours, Family family) {
        String pooling = ours.path("pooling").asText("");
        if (ours.hasNonNull("head")) {
            Family.Head head = family.head(ours.path("head").asText());
            if (!pooling.isEmpty() && !pooling.equals(head.pooling().id())) {
                throw new IllegalArgumentException(dir.resolve(LORASTREAM) + ": pooling " + pooling + " (" + head.pooling().id()
                        + " expected for the " + head.name() + " head)");
            }
            return head;
        }
        return family.heads().stream().filter(h -> h.pooling().id().equals(pooling)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(dir.resolve(LORASTREAM) + ": pooling " + pooling
                        + " is not the pooling of any head of a " + family + " base " + family.heads().stream()
                        .map(h -> h.name() + " (" + h.pooling().id() + ")").toList()));
    }

    @FunctionalInterface
    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private static void write(Path dir, String name, Writer writer) throws IOException {
        Path temp = Files.createTempFile(dir, "." + name, ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                writer.write(out);
            }
            if (Files.getFileStore(temp).supportsFileAttributeView("posix")) {
                // temp files are created owner-only; an adapter is an ordinary artefact
                Files.setPosixFilePermissions(temp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            Files.move(temp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
