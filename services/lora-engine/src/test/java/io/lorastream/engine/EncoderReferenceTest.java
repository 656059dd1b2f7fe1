package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BERT, RoBERTa and DistilBERT against reference outputs of a plain-PyTorch forward (src/test/python/encoder_fixtures.py,
 * a port of transformers' eager BertForSequenceClassification, RobertaForSequenceClassification and
 * DistilBertForSequenceClassification, whose header
 * says what it is and is not) on tiny random checkpoints: the last hidden states, and the logits of each family's own
 * head — its weights taken from the checkpoint into an adapter whose LoRA is fresh — batched with right padding and
 * each text alone.
 */
class EncoderReferenceTest {

    @ParameterizedTest
    @ValueSource(strings = {"bert", "roberta", "distilbert"})
    void hiddenStatesAndTheFamilysHeadMatchTheReference(String variant) throws Exception {
        Path dir = DecoderReferenceTest.directory("/encoders/" + variant);
        JsonNode expected = DecoderReferenceTest.JSON.readTree(dir.resolve("expected.json").toFile());
        try (BaseModel base = BaseModel.fromDirectory(dir, Device.cpu(), 64)) {
            assertThat(base.config().family().name()).isEqualTo(variant.toUpperCase());
            TokenBatch batch = DecoderReferenceTest.batch(expected);
            Backbone encoder = base.backbone();
            try (NDManager scope = base.newScope()) {
                float[] hidden = encoder.forward(scope, batch, encoder.baseProjections(), DropoutMasks.NONE).toFloatArray();
                double diff = OnnxRuntimeReferenceTest.maxAbsDiffOnRealTokens(hidden,
                        DecoderReferenceTest.floats(expected.path("last_hidden_state")), batch, base.config().hiddenSize());
                System.out.printf("%s: max |hidden - reference| %.2e%n", variant, diff);
                assertThat(diff).isLessThan(1e-4);
            }

            // the checkpoint's head, as an adapter's head over a fresh (exactly zero) LoRA
            List<String> labels = List.of("a", "b", "c");
            Family.Head head = base.config().family().huggingFaceHead();
            assertThat(base.defaultHead()).as("a plain Hugging Face directory: the family's own head").isEqualTo(head);
            List<String> headModules = head.layers().stream().map(Family.HeadLayer::module).toList();
            Map<String, FloatTensor> checkpointHead = Safetensors.read(dir.resolve("model.safetensors"),
                    name -> headModules.stream().anyMatch(m -> name.startsWith(m + ".")));
            Map<String, float[]> values = new HashMap<>();
            try (Adapter fresh = Adapter.create(base, LoraConfig.defaults(), head, labels, 1)) {
                fresh.tensors().forEach((name, array) -> values.put(name, array.toFloatArray()));
            }
            checkpointHead.forEach((name, tensor) -> {
                if (name.startsWith(base.config().family().checkpointPrefix())) { // BERT's pooler: part of the pretrained base
                    assertThat(values.get(AdapterTensors.PREFIX + name)).as("a new head's %s starts as the base's", name)
                            .containsExactly(tensor.data());
                }
                values.put(AdapterTensors.PREFIX + name, tensor.data());
            });
            try (Adapter adapter = Adapter.fromValues(base, LoraConfig.defaults(), head, labels, values);
                 NDManager scope = base.newScope()) {
                float[] logits = adapter.logits(scope, base.backbone(), batch, DropoutMasks.NONE).toFloatArray();
                double diff = OnnxRuntimeReferenceTest.maxAbsDiff(logits, DecoderReferenceTest.floats(expected.path("logits")));
                System.out.printf("%s: max |logits - reference| %.2e%n", variant, diff);
                assertThat(diff).isLessThan(1e-4);
                JsonNode alone = expected.path("logits_each_alone");
                for (int row = 0; row < alone.size(); row++) {
                    TokenBatch single = TokenBatch.pad(List.of(DecoderReferenceTest.longs(expected.path("input_ids").get(row))));
                    float[] each = adapter.logits(scope, base.backbone(), single, DropoutMasks.NONE).toFloatArray();
                    assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(each, DecoderReferenceTest.floats(alone.get(row)))).as("text %d alone", row)
                            .isLessThan(1e-4);
                }
            }
        }
    }
}
