package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** NDArrays live in native memory: thousands of forwards and training steps must leave it flat. No timing. */
class NativeMemoryTest {

    @Test
    void thousandsOfForwardsKeepArraysAndResidentMemoryFlat() throws Exception {
        BaseModel base = Fixtures.base();
        BertEncoder encoder = new BertEncoder(base);
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("a", "b", "c"), 1)) {
            TokenBatch batch = base.tokenize(List.of("one short text", "and another, a little longer one", "ok", "fine then"));
            runForwards(base, encoder, adapter, batch, 300); // warm up allocators and caches
            int arrays = base.liveArrays();
            long rss = residentAfterGcKiB();
            runForwards(base, encoder, adapter, batch, 2000);
            assertThat(base.liveArrays()).as("arrays alive after 2,000 more forwards").isEqualTo(arrays);
            long growthMiB = (residentAfterGcKiB() - rss) / 1024;
            System.out.println("resident memory growth over 2,000 forwards: " + growthMiB + " MiB");
            // measured: about 5 MiB (allocator noise); a leak of one FFN activation per forward would be ~400 MiB
            assertThat(growthMiB).isLessThan(48);
        }
    }

    @Test
    void trainingStepsLeaveNoArraysBehind() throws Exception {
        BaseModel base = Fixtures.base();
        List<Example> data = Example.readTsv(Path.of(getClass().getResource("/uci/amazon.tsv").toURI())).subList(0, 256);
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), 3)) {
            TrainingConfig config = new TrainingConfig(1, 16, 1e-3, 0.01, 0.0, 1.0, 3, 0, false);
            new Trainer(config, TrainingListener.NONE).train(adapter, data, null);
            int arrays = base.liveArrays();
            new Trainer(config, TrainingListener.NONE).train(adapter, data, data);
            assertThat(base.liveArrays()).as("arrays alive after 16 more steps and an evaluation").isEqualTo(arrays);
        }
    }

    private static void runForwards(BaseModel base, BertEncoder encoder, Adapter adapter, TokenBatch batch, int n) {
        for (int i = 0; i < n; i++) {
            try (NDManager scope = base.newScope()) {
                adapter.logits(scope, encoder, batch, DropoutMasks.NONE).toFloatArray();
            }
        }
    }

    /**
     * RSS once garbage is collected: DJL keeps small direct buffers (token ids, scalars) that the
     * JVM frees only at GC; they are garbage, not a leak.
     */
    static long residentAfterGcKiB() throws Exception {
        System.gc();
        Thread.sleep(200);
        return residentKiB();
    }

    static long residentKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
