package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LoraTest {
    static final List<String> TEXTS = List.of("a gripping, beautifully shot film", "The battery died after two days.",
            "ok", "Crème brûlée was perfect");
    static final List<String> LABELS = List.of("negative", "positive");

    final BaseModel base = Fixtures.base();
    final BertEncoder encoder = new BertEncoder(base);

    /** An adapter whose B is not zero, so it really changes the output. */
    static Adapter trainedLooking(BaseModel base, LoraConfig config, long seed) {
        return trainedLooking(base, config, LABELS, seed);
    }

    static Adapter trainedLooking(BaseModel base, LoraConfig config, List<String> labels, long seed) {
        return trainedLooking(base, config, base.defaultHead(), labels, seed);
    }

    static Adapter trainedLooking(BaseModel base, LoraConfig config, Family.Head head, List<String> labels, long seed) {
        Random random = new Random(seed);
        Map<String, float[]> values = new HashMap<>();
        AdapterTensors.expectedShapes(base, config, head, labels.size()).forEach((name, shape) -> {
            float[] data = new float[(int) shape.size()];
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) (random.nextGaussian() * 0.05);
            }
            values.put(name, data);
        });
        return Adapter.fromValues(base, config, head, labels, values);
    }

    float[] hidden(Projections projections) {
        try (NDManager scope = base.newScope()) {
            return encoder.forward(scope, base.tokenize(TEXTS), projections).toFloatArray();
        }
    }

    float[] logits(Adapter adapter) {
        try (NDManager scope = base.newScope()) {
            return adapter.logits(scope, encoder, base.tokenize(TEXTS), DropoutMasks.NONE).toFloatArray();
        }
    }

    @Test
    void aFreshAdapterReproducesTheBaseExactly() {
        LoraConfig allLinear = LoraConfig.defaults().withTargets(EnumSet.copyOf(Family.BERT.modules()));
        try (Adapter fresh = Adapter.create(base, allLinear, LABELS, 7)) {
            assertThat(hidden(fresh.projections(encoder, DropoutMasks.NONE))).isEqualTo(hidden(encoder.baseProjections()));
        }
    }

    @Test
    void mergedEqualsUnmergedAndUnmergeRestoresTheBaseBitForBit() {
        LoraConfig config = LoraConfig.defaults().withTargets(EnumSet.of(Module.QUERY, Module.VALUE, Module.INTERMEDIATE));
        Map<String, float[]> before = snapshot(base);
        try (Adapter adapter = trainedLooking(base, config, 11)) {
            float[] unmerged = hidden(adapter.projections(encoder, DropoutMasks.NONE));
            float[] unmergedLogits = logits(adapter);
            assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(unmerged, hidden(encoder.baseProjections())))
                    .as("the adapter changes the output").isGreaterThan(1e-3);

            adapter.merge();
            assertThat(adapter.isMerged()).isTrue();
            float[] merged = hidden(adapter.projections(encoder, DropoutMasks.NONE));
            // the adapter's output (class scores) within 1e-5; hidden states (|x| up to ~10) within 1e-4
            assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(logits(adapter), unmergedLogits)).isLessThan(1e-5);
            assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(merged, unmerged)).isLessThan(1e-4);
            // and the merged path is the plain base path over merged weights
            assertThat(hidden(encoder.baseProjections())).isEqualTo(merged);

            Map<String, float[]> mergedOnce = snapshot(base);
            adapter.merge(); // a second merge is a no-op
            assertThat(snapshot(base)).isEqualTo(mergedOnce);
            assertThat(hidden(adapter.projections(encoder, DropoutMasks.NONE))).isEqualTo(merged);

            adapter.unmerge();
            assertThat(adapter.isMerged()).isFalse();
            assertThat(snapshot(base)).isEqualTo(before);
            adapter.unmerge(); // and so is a second unmerge
            assertThat(snapshot(base)).isEqualTo(before);
        }
    }

    @Test
    void theLoraLinearMatchesPlainJavaArithmetic() {
        int in = 384;
        int out = 384;
        int r = 4;
        Random random = new Random(3);
        float[] w = gaussian(random, out * in);
        float[] bias = gaussian(random, out);
        float[] a = gaussian(random, r * in);
        float[] b = gaussian(random, out * r);
        float[] x = gaussian(random, 2 * in);
        double scaling = 16.0 / r;
        try (NDManager m = base.newScope()) {
            LoraLinear lora = new LoraLinear(m.create(w, new ai.djl.ndarray.types.Shape(out, in)),
                    m.create(bias, new ai.djl.ndarray.types.Shape(out)), m.create(a, new ai.djl.ndarray.types.Shape(r, in)),
                    m.create(b, new ai.djl.ndarray.types.Shape(out, r)), scaling, 0.1);
            float[] ours = lora.forward(m.create(x, new ai.djl.ndarray.types.Shape(1, 2, in)), DropoutMasks.NONE).toFloatArray();
            float[] expected = new float[2 * out];
            for (int row = 0; row < 2; row++) {
                float[] low = new float[r];
                for (int k = 0; k < r; k++) {
                    for (int i = 0; i < in; i++) {
                        low[k] += x[row * in + i] * a[k * in + i];
                    }
                }
                for (int o = 0; o < out; o++) {
                    double y = bias[o];
                    for (int i = 0; i < in; i++) {
                        y += x[row * in + i] * w[o * in + i];
                    }
                    double d = 0;
                    for (int k = 0; k < r; k++) {
                        d += b[o * r + k] * low[k];
                    }
                    expected[row * out + o] = (float) (y + scaling * d);
                }
            }
            assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(ours, expected)).isLessThan(1e-3);
            float[] delta = lora.delta().toFloatArray();
            double d00 = 0;
            for (int k = 0; k < r; k++) {
                d00 += b[k] * a[k * in];
            }
            assertThat((double) delta[0]).isCloseTo(scaling * d00, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void mergeAndUnmergeLeaveNoArraysBehind() {
        // a server that swaps adapters per request merges and unmerges many times over one adapter's life
        try (Adapter adapter = trainedLooking(base, LoraConfig.defaults(), 5)) {
            int arrays = base.liveArrays(); // the adapter's manager is one of the base's scopes
            for (int i = 0; i < 5; i++) {
                adapter.merge();
                adapter.unmerge();
            }
            assertThat(base.liveArrays()).isEqualTo(arrays);
        }
    }

    @Test
    void trainableParametersArePrintedAsPeftPrintsThem() {
        // by hand, MiniLM (H 384, F 1536, 6 blocks), r = 8, 2 labels:
        //   query + value: 6 blocks · 2 modules · (8·384 + 384·8) = 73,728; head 2·384 + 2 = 770
        //   all-linear: 6 · (4·(8·384 + 384·8) + (8·384 + 1536·8) + (8·1536 + 384·8)) = 331,776; + 770
        //   base: 22,565,376 (encoder without pooler)
        assertThat(base.parameterCount()).isEqualTo(22_565_376L);
        try (Adapter qv = Adapter.create(base, LoraConfig.defaults(), LABELS, 1);
             Adapter all = Adapter.create(base, LoraConfig.defaults().withTargets(EnumSet.copyOf(Family.BERT.modules())), LABELS, 1)) {
            assertThat(qv.trainableParameterCount()).isEqualTo(74_498L);
            assertThat(qv.trainableParametersLine())
                    .isEqualTo("trainable params: 74,498 || all params: 22,639,874 || trainable%: 0.3291");
            assertThat(all.trainableParameterCount()).isEqualTo(332_546L);
            assertThat(all.trainableParametersLine())
                    .isEqualTo("trainable params: 332,546 || all params: 22,897,922 || trainable%: 1.4523");
        }
    }

    @Test
    void scalingIsAlphaOverROrOverRootRWithRsLora() {
        assertThat(LoraConfig.defaults().scaling()).isEqualTo(2.0);
        LoraConfig rs = new LoraConfig(16, 16, 0, EnumSet.of(Module.QUERY), true, List.of("classifier"));
        assertThat(rs.scaling()).isEqualTo(4.0);
    }

    @Test
    void invalidConfigIsRefusedNamingKeyAndValue() {
        assertThatThrownBy(() -> new LoraConfig(0, 16, 0.1, EnumSet.of(Module.QUERY), false, List.of("classifier")))
                .hasMessageContaining("r=0");
        assertThatThrownBy(() -> new LoraConfig(8, -1, 0.1, EnumSet.of(Module.QUERY), false, List.of("classifier")))
                .hasMessageContaining("lora_alpha=-1.0");
        assertThatThrownBy(() -> new LoraConfig(8, 16, 1.0, EnumSet.of(Module.QUERY), false, List.of("classifier")))
                .hasMessageContaining("lora_dropout=1.0");
        assertThatThrownBy(() -> new LoraConfig(8, 16, 0.1, EnumSet.noneOf(Module.class), false, List.of("classifier")))
                .hasMessageContaining("target_modules=[]");
        assertThatThrownBy(() -> new LoraConfig(8, 16, 0.1, EnumSet.of(Module.QUERY), false, List.of("pooler")))
                .hasMessageContaining("modules_to_save=[pooler]");
        assertThatThrownBy(() -> LoraConfig.parseTargets(Family.BERT, "query,attn", 6))
                .hasMessageContaining("target_modules=attn");
        assertThatThrownBy(() -> Adapter.create(base, LoraConfig.defaults(), List.of("only-one"), 1))
                .hasMessageContaining("at least 2 labels");
    }

    @Test
    void targetsFollowPeftsSuffixMatching() {
        assertThat(LoraConfig.parseTargets(Family.BERT, "query,value", 6)).containsExactlyInAnyOrder(Module.QUERY, Module.VALUE);
        assertThat(LoraConfig.parseTargets(Family.BERT, "output.dense", 6)).containsExactlyInAnyOrder(Module.ATTENTION_OUTPUT, Module.OUTPUT);
        assertThat(LoraConfig.parseTargets(Family.BERT, "dense", 6))
                .containsExactlyInAnyOrder(Module.ATTENTION_OUTPUT, Module.INTERMEDIATE, Module.OUTPUT);
        assertThat(LoraConfig.parseTargets(Family.BERT, "all-linear", 6)).containsExactlyInAnyOrder(Module.QUERY, Module.KEY, Module.VALUE, Module.ATTENTION_OUTPUT, Module.INTERMEDIATE, Module.OUTPUT);
        for (var targets : List.of(EnumSet.of(Module.OUTPUT), EnumSet.of(Module.ATTENTION_OUTPUT),
                EnumSet.of(Module.OUTPUT, Module.ATTENTION_OUTPUT, Module.KEY), EnumSet.copyOf(Family.BERT.modules()))) {
            List<String> written = Family.BERT.peftTargetModules(targets, 6);
            assertThat(LoraConfig.parseTargets(Family.BERT, String.join(",", written), 6)).as(written.toString()).isEqualTo(targets);
        }
    }

    static Map<String, float[]> snapshot(BaseModel base) {
        Map<String, float[]> values = new HashMap<>();
        base.weights().forEach((name, array) -> values.put(name, array.toFloatArray()));
        return new java.util.TreeMap<>(values) {
            @Override
            public boolean equals(Object o) {
                if (!(o instanceof Map<?, ?> other) || !other.keySet().equals(keySet())) {
                    return false;
                }
                return entrySet().stream().allMatch(e -> java.util.Arrays.equals(e.getValue(), (float[]) other.get(e.getKey())));
            }

            @Override
            public int hashCode() {
                return keySet().hashCode();
            }
        };
    }

    static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
