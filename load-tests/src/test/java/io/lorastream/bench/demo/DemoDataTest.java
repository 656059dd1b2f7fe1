package io.lorastream.bench.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.engine.Example;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoDataTest {
    @TempDir
    Path dir;

    @Test
    void readsTheNpmPackagesFixturesLikeTheTsvFiles() throws Exception {
        // the shape of sentiment@5.0.2's test/fixtures/amazon.json (it ends with an empty item), and the same examples as a TSV
        Files.writeString(dir.resolve("amazon.json"), """
                [{"text":"Good case, Excellent value.","class":1},{"text":"Tied to charger\\tfor hours.MAJOR PROBLEMS!!","class":0},{"text":"","class":null}]
                """);
        assertThat(DemoData.readDataSet(dir, "amazon")).containsExactly(
                new Example("Good case, Excellent value.", "1"), new Example("Tied to charger for hours.MAJOR PROBLEMS!!", "0"));

        Files.writeString(dir.resolve("amazon.tsv"), "sentence\tlabel\nGood case, Excellent value.\t1\n");
        assertThat(DemoData.readDataSet(dir, "amazon")).as("a TSV wins over the JSON").containsExactly(new Example("Good case, Excellent value.", "1"));
    }

    @Test
    void aMissingSetOrABadItemIsNamed() throws Exception {
        assertThatThrownBy(() -> DemoData.readDataSet(dir, "yelp")).hasMessageContaining("yelp.tsv").hasMessageContaining("yelp.json");
        Files.writeString(dir.resolve("imdb.json"), "[{\"text\":\"fine\",\"class\":1},{\"text\":\"no label\"},{\"text\":\"\",\"class\":null}]");
        assertThatThrownBy(() -> DemoData.readDataSet(dir, "imdb")).hasMessageContaining("imdb.json item 1");
    }

    @Test
    void eachCanaryPhaseIsJudgedOnTextsNoEarlierPhaseLabelledUntilThePoolRunsOut() {
        List<Example> pool = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            pool.add(new Example("text " + i, String.valueOf(i % 2)));
        }
        List<Example> first = DemoData.liveWindow(pool, 0, 100);
        List<Example> second = DemoData.liveWindow(pool, 1, 100);
        assertThat(first).hasSize(100).startsWith(pool.get(0)).doesNotContainAnyElementsOf(second);
        assertThat(second).hasSize(100).startsWith(pool.get(100));
        assertThat(DemoData.liveWindow(pool, 2, 100)).as("the 50 left over are too few for a window: round again").isEqualTo(first);
        assertThat(DemoData.liveWindow(pool, 4, 50)).containsExactlyElementsOf(pool.subList(200, 250));
        assertThatThrownBy(() -> DemoData.liveWindow(pool, 0, 251)).hasMessageContaining("251").hasMessageContaining("250");
    }
}
