package io.lorastream.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorastream.engine.Adapter;
import io.lorastream.engine.Backbone;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.DropoutMasks;
import io.lorastream.engine.Example;
import io.lorastream.engine.LoraConfig;
import io.lorastream.engine.TokenBatch;
import io.lorastream.engine.Trainer;
import io.lorastream.engine.TrainingConfig;
import io.lorastream.engine.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoder rows of {@code bench engine}: a Llama-family base (by default a random checkpoint of Qwen2-0.5B's shape)
 * forward and LoRA-trained by the engine, and by a plain-PyTorch peer ({@code load-tests/reference/decoder_peer.py})
 * on the very same token rows. Every row is a text of at least {@link #TOKENS} tokens cut at {@link #TOKENS}: no
 * padding, so no bucketing, and both sides do the same arithmetic.
 */
final class DecoderRows {
    static final int TOKENS = 32;
    static final int FORWARD_ROWS = 128;
    static final int FORWARD_BATCH = 16;
    static final int TRAIN_ROWS = 64;
    static final int TRAIN_BATCH = 8;
    /** As the peer: measured forward passes after one unmeasured, unmeasured training steps before the measured epoch. */
    static final int PASSES = 2;
    static final int WARM_UP_STEPS = 2;

    private DecoderRows() {}

    /** The texts both sides run: the first of SST-2 dev (forward) and train (training) that fill {@link #TOKENS} tokens. */
    record Selection(List<long[]> forward, List<Example> train, List<long[]> trainIds) {}

    static Selection select(BaseModel base, List<Example> dev, List<Example> train) {
        List<long[]> forward = new ArrayList<>();
        for (int i = 0; i < dev.size() && forward.size() < FORWARD_ROWS; i++) {
            long[] ids = base.encode(List.of(dev.get(i).text())).get(0);
            if (ids.length == TOKENS) {
                forward.add(ids);
            }
        }
        List<Example> trainRows = new ArrayList<>();
        List<long[]> trainIds = new ArrayList<>();
        for (int i = 0; i < train.size() && trainRows.size() < TRAIN_ROWS; i++) {
            long[] ids = base.encode(List.of(train.get(i).text())).get(0);
            if (ids.length == TOKENS) {
                trainRows.add(train.get(i));
                trainIds.add(ids);
            }
        }
        if (forward.size() < FORWARD_ROWS || trainRows.size() < TRAIN_ROWS) {
            throw new IllegalStateException("too few texts of " + TOKENS + " tokens: " + forward.size() + " and " + trainRows.size());
        }
        return new Selection(forward, trainRows, trainIds);
    }

    static BaseModel load(Path dir) {
        return BaseModel.fromDirectory(dir, Device.cpu(), TOKENS);
    }

    /** What the peer reads: the rows, their labels, the batch sizes. */
    static void writeRows(Selection selection, Path file) throws IOException {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("forward", selection.forward());
        rows.put("forward_batch", FORWARD_BATCH);
        rows.put("train", selection.trainIds());
        rows.put("labels", selection.train().stream().map(e -> Integer.parseInt(e.label())).toList());
        rows.put("train_batch", TRAIN_BATCH);
        Files.createDirectories(file.toAbsolutePath().getParent());
        new ObjectMapper().writeValue(file.toFile(), rows);
    }

    /** The frozen base over the forward rows, batches of {@link #FORWARD_BATCH}: one pass to warm up, then {@link #PASSES}; tokens/s. */
    static double forwardTokensPerSecond(BaseModel base, Selection selection) {
        Backbone backbone = base.backbone();
        List<TokenBatch> batches = new ArrayList<>();
        for (int i = 0; i < selection.forward().size(); i += FORWARD_BATCH) {
            batches.add(TokenBatch.pad(selection.forward().subList(i, i + FORWARD_BATCH)));
        }
        batches.forEach(batch -> run(base, backbone, batch)); // warm-up: one pass
        long tokens = 0;
        long start = System.nanoTime();
        for (int pass = 0; pass < PASSES; pass++) {
            for (TokenBatch batch : batches) {
                tokens += run(base, backbone, batch);
            }
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    private static long run(BaseModel base, Backbone backbone, TokenBatch batch) {
        try (NDManager scope = base.newScope()) {
            backbone.forward(scope, batch, backbone.baseProjections(), DropoutMasks.NONE).toFloatArray();
            return batch.tokens();
        }
    }

    /** One epoch of LoRA q,v r=8 and the score head over the training rows, after {@link #WARM_UP_STEPS} steps: tokens/s. */
    static double loraTokensPerSecond(BaseModel base, Selection selection) {
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), 42)) {
            new Trainer(new TrainingConfig(1, TRAIN_BATCH, 1e-4, 0, 0, 1.0, 1, WARM_UP_STEPS * TRAIN_BATCH, false), TrainingListener.NONE)
                    .train(adapter, selection.train(), null);
            TrainingConfig config = new TrainingConfig(1, TRAIN_BATCH, 1e-3, 0.01, 0.06, 1.0, 42, 0, false);
            return new Trainer(config, TrainingListener.NONE).train(adapter, selection.train(), null).tokensPerSecond();
        }
    }
}
