package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which head an adapter gets, and what a new one starts from. */
class HeadsTest {
    final BaseModel base = Fixtures.base();

    @Test
    void everyFamilyOffersItsHuggingFaceHeadFirstAndEncodersAMean() {
        record Row(Family family, List<String> heads, Pooling hfPooling, List<String> hfSaved) {}
        for (Row row : List.of(
                new Row(Family.BERT, List.of("pooler", "mean"), Pooling.FIRST, List.of("pooler", "classifier")),
                new Row(Family.ROBERTA, List.of("classification-head", "mean"), Pooling.FIRST, List.of("classifier")),
                new Row(Family.DISTILBERT, List.of("pre-classifier", "mean"), Pooling.FIRST, List.of("pre_classifier", "classifier")),
                new Row(Family.LLAMA, List.of("score"), Pooling.LAST, List.of("score")))) {
            assertThat(row.family().heads().stream().map(Family.Head::name).toList()).as("%s", row.family()).isEqualTo(row.heads());
            assertThat(row.family().huggingFaceHead().pooling()).as("%s", row.family()).isEqualTo(row.hfPooling());
            assertThat(row.family().huggingFaceHead().modulesToSave()).as("%s", row.family()).isEqualTo(row.hfSaved());
        }
        assertThatThrownBy(() -> Family.LLAMA.head("mean")).hasMessageContaining("head mean")
                .hasMessageContaining("LLAMA").hasMessageContaining("[score]");
    }

    @Test
    void theEmbeddedSentenceTransformersBaseDefaultsToTheMeanAndItsPoolerStartsFromTheBasesWeights() {
        assertThat(base.defaultHead()).isEqualTo(Family.BERT.head("mean"));
        assertThat(base.headInitializer("pooler.dense.weight")).as("MiniLM's ONNX graph has the pooler").isNotNull();
        assertThat(base.weights()).as("the pooler is no part of the hashed base").doesNotContainKey("pooler.dense.weight");
        float[] basePooler = base.headInitializer("pooler.dense.weight").toFloatArray();
        float[] baseBias = base.headInitializer("pooler.dense.bias").toFloatArray();
        try (Adapter a = Adapter.create(base, LoraConfig.defaults(), Family.BERT.head("pooler"), List.of("x", "y"), 1);
             Adapter b = Adapter.create(base, LoraConfig.defaults(), Family.BERT.head("pooler"), List.of("x", "y"), 2)) {
            assertThat(a.headWeights().get(0).toFloatArray()).containsExactly(basePooler);
            assertThat(a.headBiases().get(0).toFloatArray()).containsExactly(baseBias);
            assertThat(b.headWeights().get(0).toFloatArray()).containsExactly(basePooler);
            assertThat(a.headWeights().get(1).toFloatArray()).as("the classifier is drawn from the seed")
                    .isNotEqualTo(b.headWeights().get(1).toFloatArray());
        }
    }

    @Test
    void whileTrainingAHeadHasDropoutWhereTransformersHeadHasIt() throws Exception {
        assertThat(base.config().classifierDropout()).as("BERT: hidden_dropout_prob").isEqualTo(0.1);
        try (NDManager scope = base.newScope();
             Adapter mean = Adapter.create(base, LoraConfig.defaults(), Family.BERT.head("mean"), List.of("x", "y"), 1);
             BaseModel qwen2 = BaseModel.fromDirectory(DecoderReferenceTest.directory("/decoders/qwen2-f16"), ai.djl.Device.cpu(), 64);
             Adapter score = Adapter.create(qwen2, LoraConfig.defaults(), List.of("x", "y"), 1)) {
            NDArray pooled = scope.ones(new ai.djl.ndarray.types.Shape(4, base.config().hiddenSize()));
            assertThat(mean.classify(pooled, DropoutMasks.seeded(1)).toFloatArray()).as("dropout before BERT's classifier")
                    .isNotEqualTo(mean.classify(pooled, DropoutMasks.NONE).toFloatArray());
            NDArray decoderPooled = scope.ones(new ai.djl.ndarray.types.Shape(4, qwen2.config().hiddenSize()));
            assertThat(score.classify(decoderPooled, DropoutMasks.seeded(1)).toFloatArray()).as("the decoders' score has none")
                    .containsExactly(score.classify(decoderPooled, DropoutMasks.NONE).toFloatArray());
        }
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        String bert = "{\"model_type\": \"bert\", \"vocab_size\": 10, \"hidden_size\": 8, \"num_hidden_layers\": 1,"
                + " \"num_attention_heads\": 2, \"intermediate_size\": 16, \"hidden_dropout_prob\": 0.1%s}";
        assertThat(BaseConfig.fromHuggingFace("b", json.readTree(String.format(bert, "")), 64).classifierDropout()).isEqualTo(0.1);
        assertThat(BaseConfig.fromHuggingFace("b", json.readTree(String.format(bert, ", \"classifier_dropout\": null")), 64)
                .classifierDropout()).isEqualTo(0.1);
        assertThat(BaseConfig.fromHuggingFace("b", json.readTree(String.format(bert, ", \"classifier_dropout\": 0.3")), 64)
                .classifierDropout()).isEqualTo(0.3);
        String distil = "{\"model_type\": \"distilbert\", \"vocab_size\": 10, \"dim\": 8, \"n_layers\": 1, \"n_heads\": 2,"
                + " \"hidden_dim\": 16%s}";
        assertThat(BaseConfig.fromHuggingFace("d", json.readTree(String.format(distil, "")), 64).classifierDropout())
                .as("DistilBERT's seq_classif_dropout default").isEqualTo(0.2);
    }

    @Test
    void aSentenceTransformersDirectoryPooledByTheMeanDefaultsToTheMean(@TempDir Path dir) throws Exception {
        assertThat(BaseModel.defaultHead(dir, Family.BERT)).as("no modules.json").isEqualTo(Family.BERT.huggingFaceHead());
        Files.writeString(dir.resolve("modules.json"), """
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]""");
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}");
        assertThat(BaseModel.defaultHead(dir, Family.BERT)).as("pooled by [CLS]").isEqualTo(Family.BERT.huggingFaceHead());
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_cls_token\": false, \"pooling_mode_mean_tokens\": true}");
        assertThat(BaseModel.defaultHead(dir, Family.BERT)).isEqualTo(Family.BERT.head("mean"));
        assertThat(BaseModel.defaultHead(dir, Family.ROBERTA)).isEqualTo(Family.ROBERTA.head("mean"));
        assertThat(BaseModel.defaultHead(dir, Family.LLAMA)).as("no mean head for decoders").isEqualTo(Family.LLAMA.huggingFaceHead());
    }
}
