package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every tensor autograd keeps for the backward pass must outlive it. DJL frees the tensor behind an op with a Java
 * {@code Number} at once ({@link Scalars}); if the forward uses one where the backward needs it, the JVM may hand its
 * memory to something else before backward reads it. Here the JVM is made to do exactly that between forward and
 * backward (a collection, then many small direct buffers of NaN), and the gradients must still be the ones an
 * undisturbed backward computes. With the decoders' SwiGLU written as DJL's {@code swish(x, 1f)}, they were NaN.
 */
class AutogradLifetimeTest {

    @ParameterizedTest
    @ValueSource(strings = {"decoders/qwen2-f16", "encoders/bert"})
    void gradientsDoNotDependOnWhatTheJvmDoesBetweenForwardAndBackward(String fixture) throws Exception {
        try (BaseModel base = BaseModel.fromDirectory(DecoderReferenceTest.directory("/" + fixture), Device.cpu(), 64);
             Adapter adapter = Adapter.create(base, LoraConfig.defaults().withTargets(base.config().family().modules()),
                     List.of("a", "b"), 3)) {
            // B non-zero, so that every LoRA path carries a gradient to A as well
            adapter.tensors().forEach((name, tensor) -> {
                if (name.contains("lora_B")) {
                    tensor.addi(0.05f);
                }
            });
            Map<String, float[]> undisturbed = gradients(adapter, false);
            assertThat(gradients(adapter, false)).as("the same pass twice").containsOnlyKeys(undisturbed.keySet())
                    .allSatisfy((name, again) -> assertThat(again).containsExactly(undisturbed.get(name)));
            Map<String, float[]> disturbed = gradients(adapter, true);
            assertThat(undisturbed).isNotEmpty();
            undisturbed.forEach((name, gradient) -> {
                for (float g : gradient) {
                    assertThat(Float.isFinite(g)).as("%s is finite", name).isTrue();
                }
                assertThat(disturbed.get(name)).as(name).containsExactly(gradient);
            });
        }
    }

    private static Map<String, float[]> gradients(Adapter adapter, boolean disturb) throws Exception {
        BaseModel base = adapter.base();
        Map<String, NDArray> parameters = adapter.tensors();
        parameters.values().forEach(p -> p.setRequiresGradient(true));
        Map<String, float[]> gradients = new java.util.TreeMap<>();
        try (NDManager scope = base.newScope()) {
            TokenBatch batch = base.tokenize(DecoderAdapterTest.TEXTS);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = adapter.logits(scope, base.backbone(), batch, DropoutMasks.seeded(1)).logSoftmax(-1).sum();
                if (disturb) {
                    reuseFreedMemory();
                }
                collector.backward(loss);
            }
            parameters.forEach((name, p) -> {
                NDArray gradient = p.getGradient();
                gradient.attach(scope);
                gradients.put(name, gradient.toFloatArray());
                gradient.muli(0f); // backward adds into it: the next pass starts from zero
            });
        } finally {
            parameters.values().forEach(p -> p.setRequiresGradient(false));
        }
        return gradients;
    }

    /** Collects, lets the cleaners free what was only reachable from Java, then fills small direct buffers with NaN. */
    private static void reuseFreedMemory() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(50);
        }
        List<ByteBuffer> nan = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(4 << (i % 4)).order(ByteOrder.nativeOrder());
            while (buffer.remaining() >= 4) {
                buffer.putFloat(Float.NaN);
            }
            nan.add(buffer);
        }
        assertThat(nan).hasSize(20_000);
    }
}
