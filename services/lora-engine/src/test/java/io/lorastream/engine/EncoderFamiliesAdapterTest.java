package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Adapters on RoBERTa and DistilBERT bases (the fixtures of {@link EncoderReferenceTest}), whose heads have two layers:
 * saved under PEFT's names with the family's modules_to_save and reloaded bit for bit, merged equal to unmerged, and
 * mixed batches of adapters with different label counts equal to each adapter alone.
 */
class EncoderFamiliesAdapterTest {

    @ParameterizedTest
    @CsvSource({
            "roberta, base_model.model.roberta.encoder.layer.1.attention.self.value.lora_B.weight, classifier.dense;classifier.out_proj, classifier",
            "distilbert, base_model.model.distilbert.transformer.layer.1.attention.v_lin.lora_B.weight, pre_classifier;classifier, pre_classifier;classifier"})
    void savedReloadedMergedAndMixed(String variant, String loraName, String headModules, String modulesToSave, @TempDir Path dir)
            throws Exception {
        try (BaseModel base = BaseModel.fromDirectory(DecoderReferenceTest.directory("/encoders/" + variant), Device.cpu(), 64);
             Adapter two = LoraTest.trainedLooking(base, LoraConfig.defaults(), List.of("no", "yes"), 3);
             Adapter three = LoraTest.trainedLooking(base, LoraConfig.defaults().withTargets(EnumSet.copyOf(base.config().family().modules())),
                     List.of("a", "b", "c"), 4)) {
            List<String> texts = List.of("the film is fine", "the end", "in fin", "a long and winding text about the thing");

            AdapterFiles.save(three, dir);
            try (Adapter loaded = AdapterFiles.load(dir, base)) {
                assertThat(DecoderAdapterTest.logits(loaded, texts)).isEqualTo(DecoderAdapterTest.logits(three, texts));
            }
            List<String> names = AdapterFilesTest.names(dir.resolve(AdapterFiles.WEIGHTS));
            assertThat(names).contains(loraName);
            for (String module : headModules.split(";")) {
                assertThat(names).contains(AdapterTensors.PREFIX + module + ".weight", AdapterTensors.PREFIX + module + ".bias");
            }
            JsonNode peft = DecoderReferenceTest.JSON.readTree(Files.readString(dir.resolve(AdapterFiles.CONFIG)));
            List<String> saved = new ArrayList<>();
            peft.path("modules_to_save").forEach(m -> saved.add(m.asText()));
            assertThat(saved).containsExactly(modulesToSave.split(";"));
            assertThat(DecoderReferenceTest.JSON.readTree(Files.readString(dir.resolve(AdapterFiles.LORASTREAM))).path("pooling").asText())
                    .isEqualTo("first");

            float[] unmerged = DecoderAdapterTest.logits(three, texts);
            three.merge();
            assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(DecoderAdapterTest.logits(three, texts), unmerged)).isLessThan(1e-4);
            three.unmerge();

            List<Adapter> rows = List.of(two, three, three, two);
            float[][] mixed = new MixedClassifier(base, 4).probabilities(rows, texts);
            for (int i = 0; i < texts.size(); i++) {
                float[] alone = new Classifier(rows.get(i), 1).probabilities(List.of(texts.get(i)))[0];
                assertThat(mixed[i]).hasSize(rows.get(i).labels().size());
                assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(mixed[i], alone)).as("row %d", i).isLessThan(1e-5);
            }
        }
    }
}
