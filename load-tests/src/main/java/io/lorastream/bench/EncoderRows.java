package io.lorastream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.EncoderConfig;
import io.lorastream.engine.Example;
import io.lorastream.engine.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the MiniLM rows' PyTorch peer (load-tests/reference/encoder_peer.py) needs to do the engine's work: MiniLM's
 * shapes, the token rows the engine's forward phase reads (SST-2 dev) and the examples its training phases train on
 * (the same sample of SST-2 train, tokenized by the engine's tokenizer), and every setting of the engine's runs.
 */
final class EncoderRows {
    /** The engine's forward phase: batches of this many rows sorted by length, this many measured passes. */
    static final int FORWARD_BATCH = 32;
    static final int FORWARD_PASSES = 3;
    /** The engine's training phases (EngineBench): batch size, learning rates, weight decay, warm-up share, clipping, seed. */
    static final int TRAIN_BATCH = 32;
    static final double LORA_LR = 1e-3;
    static final double FULL_LR = 5e-5;
    static final double WEIGHT_DECAY = 0.01;
    static final double WARMUP_RATIO = 0.06;
    static final double MAX_GRAD_NORM = 1.0;
    static final long SEED = 42;
    /** The unmeasured training run before the measured one. */
    static final int WARM_UP_EXAMPLES = 256;

    private EncoderRows() {}

    static void write(BaseModel base, List<Example> dev, List<Example> train, int trainExamples, Path file) throws IOException {
        EncoderConfig c = (EncoderConfig) base.config();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("vocab", c.vocabSize());
        config.put("hidden", c.hiddenSize());
        config.put("layers", c.numLayers());
        config.put("heads", c.numHeads());
        config.put("intermediate", c.intermediateSize());
        config.put("max_positions", c.maxPositions());
        config.put("type_vocab", c.typeVocabSize());
        config.put("layer_norm_eps", c.layerNormEps());
        config.put("hidden_dropout", c.hiddenDropout());
        config.put("attention_dropout", c.attentionDropout());
        config.put("classifier_dropout", c.classifierDropout());
        List<Example> sample = Trainer.sample(train, trainExamples, SEED);
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("config", config);
        rows.put("forward", base.encode(dev.stream().map(Example::text).toList()));
        rows.put("batch", FORWARD_BATCH);
        rows.put("passes", FORWARD_PASSES);
        rows.put("train", base.encode(sample.stream().map(Example::text).toList()));
        rows.put("labels", sample.stream().map(e -> Integer.parseInt(e.label())).toList());
        rows.put("bucket_window", Trainer.BUCKET_WINDOW);
        rows.put("seed", SEED);
        rows.put("warm_up_examples", WARM_UP_EXAMPLES);
        rows.put("lora_lr", LORA_LR);
        rows.put("full_lr", FULL_LR);
        rows.put("weight_decay", WEIGHT_DECAY);
        rows.put("warmup_ratio", WARMUP_RATIO);
        rows.put("max_grad_norm", MAX_GRAD_NORM);
        Files.createDirectories(file.toAbsolutePath().getParent());
        new ObjectMapper().writeValue(file.toFile(), rows);
    }
}
