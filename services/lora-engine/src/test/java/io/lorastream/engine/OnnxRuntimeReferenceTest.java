package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine's forward pass against an independent implementation: ONNX Runtime running the very
 * .onnx file the weights came from, on the same token ids.
 */
class OnnxRuntimeReferenceTest {
    static final List<String> SENTENCES = List.of(
            "a gripping, beautifully shot film",
            "The battery died after two days.",
            "I would not recommend this to anyone!",
            "ok",
            "Crème brûlée, jalapeño and naïve façade: accents everywhere",
            "Zxqvbnm flurbleglorp snorkwhistle antidisestablishmentarianism",
            "EXTREMELY LOUD CAPITALS AND !!!??? punctuation ... ",
            "numbers 3.14159 and 42 and 1,000,000 dollars",
            "emoji 👍🏽 and symbols ™ © ∑ ∞ → ←",
            "中文字符 和 日本語のテキスト",
            "Ünïcödé Straße, Ærøskøbing, Łódź",
            "the the the the the the the the the the",
            "  leading and trailing spaces  ",
            "tab-free but with\nnewlines\ninside",
            "It's not that it's bad; it's that it isn't good.",
            "Worst. Purchase. Ever.",
            "a",
            "The plot was predictable, the acting wooden, and the soundtrack forgettable, yet somehow I enjoyed it.",
            "http://example.com/some/path?query=1 and user@example.com",
            "word ".repeat(400).trim(), // far past the maximum length: truncated
            "This phone is fine. " + "Really, it works as described. ".repeat(40),
            "#hashtag @mention $TICKER %percent ^caret &ampersand *star");

    static OrtEnvironment env;
    static OrtSession session;

    @BeforeAll
    static void openReference() throws Exception {
        env = OrtEnvironment.getEnvironment();
        byte[] model;
        try (var in = OnnxRuntimeReferenceTest.class.getResourceAsStream(BaseModel.EMBEDDED_ONNX)) {
            model = in.readAllBytes();
        }
        session = env.createSession(model, new OrtSession.SessionOptions());
    }

    @AfterAll
    static void closeReference() throws Exception {
        session.close();
    }

    @Test
    void hiddenStatesAndMeanPoolingMatchOnnxRuntime() throws Exception {
        BaseModel base = Fixtures.base();
        TokenBatch batch = base.tokenize(SENTENCES);
        assertThat(batch.length()).as("longest text truncated to the maximum length").isEqualTo(base.config().maxSequenceLength());
        assertThat(batch.ids()[3]).as("'ok' is padded").endsWith(0L, 0L, 0L);

        float[] reference = runReference(batch);
        float[] referencePooled = meanPool(reference, batch, base.config().hiddenSize());

        BertEncoder encoder = new BertEncoder(base);
        try (NDManager scope = base.newScope()) {
            NDArray hidden = encoder.forward(scope, batch, encoder.baseProjections());
            float[] ours = hidden.toFloatArray();
            float[] oursPooled = Pooling.MEAN.pool(scope, hidden, batch).toFloatArray();

            assertThat(maxAbsDiffOnRealTokens(ours, reference, batch, base.config().hiddenSize())).isLessThan(1e-4);
            assertThat(maxAbsDiff(oursPooled, referencePooled)).isLessThan(1e-4);
        }
    }

    private float[] runReference(TokenBatch batch) throws Exception {
        long[] shape = {batch.size(), batch.length()};
        long[] ids = flatten(batch.ids());
        long[] mask = flatten(batch.mask());
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OnnxTensor idsT = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor maskT = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor typesT = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape)) {
            inputs.put("input_ids", idsT);
            inputs.put("attention_mask", maskT);
            if (session.getInputNames().contains("token_type_ids")) {
                inputs.put("token_type_ids", typesT);
            }
            try (OrtSession.Result result = session.run(inputs)) {
                float[][][] hidden = (float[][][]) result.get(0).getValue(); // last_hidden_state (B, T, H)
                int h = hidden[0][0].length;
                float[] flat = new float[batch.size() * batch.length() * h];
                for (int b = 0; b < batch.size(); b++) {
                    for (int t = 0; t < batch.length(); t++) {
                        System.arraycopy(hidden[b][t], 0, flat, (b * batch.length() + t) * h, h);
                    }
                }
                return flat;
            }
        }
    }

    /** Independent mean pooling in plain Java. */
    static float[] meanPool(float[] hidden, TokenBatch batch, int h) {
        float[] pooled = new float[batch.size() * h];
        for (int b = 0; b < batch.size(); b++) {
            int count = 0;
            for (int t = 0; t < batch.length(); t++) {
                if (batch.mask()[b][t] == 1) {
                    count++;
                    for (int i = 0; i < h; i++) {
                        pooled[b * h + i] += hidden[(b * batch.length() + t) * h + i];
                    }
                }
            }
            for (int i = 0; i < h; i++) {
                pooled[b * h + i] /= count;
            }
        }
        return pooled;
    }

    /** Padding positions are not compared: their values are meaningless in both implementations. */
    static double maxAbsDiffOnRealTokens(float[] a, float[] b, TokenBatch batch, int h) {
        double max = 0;
        for (int row = 0; row < batch.size(); row++) {
            for (int t = 0; t < batch.length(); t++) {
                if (batch.mask()[row][t] == 1) {
                    for (int i = 0; i < h; i++) {
                        int at = (row * batch.length() + t) * h + i;
                        max = Math.max(max, Math.abs(a[at] - b[at]));
                    }
                }
            }
        }
        return max;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static long[] flatten(long[][] rows) {
        long[] flat = new long[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
        }
        return flat;
    }
}
