package io.lorastream.bench.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorastream.engine.Example;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The demo's tenants and what it sends them: which examples, under which feedback ids, and which texts each canary is judged on. */
final class DemoData {
    static final List<String> DATA_SETS = List.of("amazon", "imdb", "yelp");

    private DemoData() {}

    /** A tenant of one run: {@code <data set>-<run id>}, with every example of its set in file order. */
    record Tenant(String id, String dataSet, List<Example> examples) {}

    /**
     * One batch of feedback as the demo sends it: each item under the id {@code <what>-<index>}. The
     * stream-processor puts an example in the holdout by its id alone, so fixed ids give every run the
     * same split of the same examples (with ids left to ingest, a random fifth of each phase was held out,
     * and the holdout accuracies, and with them the gate, changed from run to run for no reason of the code's).
     */
    record Feedback(String id, String text, String label) {}

    static List<Feedback> feedback(String what, List<Example> examples, boolean flip) {
        List<Feedback> items = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            items.add(new Feedback(what + "-" + i, e.text(), flip ? (e.label().equals("1") ? "0" : "1") : e.label()));
        }
        return items;
    }

    /** {@code count} examples of the tenant's set from {@code from} on, round the file as often as it takes. */
    static List<Example> cycling(Tenant t, int from, int count) {
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            examples.add(t.examples().get((from + i) % t.examples().size()));
        }
        return examples;
    }

    /**
     * The texts of a tenant's {@code phase}-th canary (0 first): the next {@code size} of {@code pool}, the
     * texts never sent as feedback. Live labels are feedback too, so a later candidate trains on the texts
     * an earlier canary was judged on; judged on them again, it would be scored on what it memorised, not on
     * what it learnt (a poisoned candidate that had seen their honest labels looked almost right). Only when
     * the pool runs out do windows come round again.
     */
    static List<Example> liveWindow(List<Example> pool, int phase, int size) {
        if (size < 1 || size > pool.size()) {
            throw new IllegalArgumentException("a window of " + size + " live texts from a pool of " + pool.size());
        }
        int windows = pool.size() / size;
        int from = (phase % windows) * size;
        return List.copyOf(pool.subList(from, from + size));
    }

    /**
     * A data set of the demo: {@code NAME.tsv} (sentence, label), or {@code NAME.json} as the npm package
     * sentiment@5.0.2 ships the same UCI sets in test/fixtures: {@code [{"text": …, "class": 0|1}, …]}.
     */
    static List<Example> readDataSet(Path dir, String name) throws IOException {
        Path tsv = dir.resolve(name + ".tsv");
        if (Files.isRegularFile(tsv)) {
            return Example.readTsv(tsv);
        }
        Path json = dir.resolve(name + ".json");
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException("--data " + dir + ": neither " + name + ".tsv nor " + name + ".json is there");
        }
        List<Example> examples = new ArrayList<>();
        JsonNode items = new ObjectMapper().readTree(json.toFile());
        for (int index = 0; index < items.size(); index++) {
            JsonNode item = items.get(index);
            JsonNode text = item.path("text");
            JsonNode label = item.path("class");
            if (text.asText().isBlank() && label.isNull()) {
                continue; // the package's files end with one such empty item
            }
            if (!text.isTextual() || !label.isIntegralNumber()) {
                throw new IllegalArgumentException(json + " item " + index + ": expected {\"text\": string, \"class\": integer}, got " + item);
            }
            // a tab would end the sentence in the TSV the rest of the platform reads
            examples.add(new Example(text.asText().replace('\t', ' ').strip(), label.asText()));
        }
        return examples;
    }
}
