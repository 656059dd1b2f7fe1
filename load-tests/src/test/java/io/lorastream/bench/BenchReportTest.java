package io.lorastream.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchReportTest {
    @TempDir
    Path results;

    @Test
    void rowsComeFromEachBenchmarksLastJsonLineWithTheirGoals() throws Exception {
        Files.writeString(results.resolve("multi-adapter.json"), """
                measure  run 1  run 2
                mixed ÷ base only  1.06  1.23
                {"bench":"multi-adapter","base_only_texts_per_s":86.7,"mixed_texts_per_s":91.6,"naive_swap_texts_per_s":39.9,"mixed_vs_base_only":1.0565,"mixed_vs_naive_swap":2.2957,"resident_kib_per_adapter":529.0}
                """);
        Files.writeString(results.resolve("ingest.json"), """
                {"bench":"ingest","phases":[{"batchSize":1,"eventsPerSecond":90000.0},{"batchSize":100,"eventsPerSecond":41000.5},{"batchSize":1000,"eventsPerSecond":62000.0}]}
                """);
        Files.writeString(results.resolve("serving.json"), """
                {"bench":"serving","published_to_first_prediction_p50_ms":80.0,"published_to_first_prediction_p99_ms":263.0,"http_requests_per_s":100.0}
                """);
        ByteArrayOutputStream missing = new ByteArrayOutputStream();
        List<BenchReport.Row> rows = BenchReport.rows(results, new PrintStream(missing, true, StandardCharsets.UTF_8));

        assertThat(rows).extracting(BenchReport.Row::bench).doesNotContain("engine", "freshness");
        assertThat(missing.toString(StandardCharsets.UTF_8)).contains("no results of engine").contains("no results of freshness")
                .contains("serving has no kafka_latency_p99");
        assertThat(row(rows, "mixed_vs_base_only").met()).isEqualTo("yes");
        assertThat(row(rows, "mixed_vs_naive_swap").met()).isEqualTo("no");
        assertThat(row(rows, "mixed_vs_naive_swap").value()).isEqualTo(2.2957);
        // the batched phases only: 1-event requests do not count toward the NDJSON goal
        assertThat(row(rows, "events_per_s_batched").value()).isEqualTo(62000.0);
        assertThat(row(rows, "events_per_s_batched").met()).isEqualTo("yes");
        assertThat(row(rows, "published_to_first_prediction_p99").met()).isEqualTo("no");
        assertThat(row(rows, "published_to_first_prediction_p50").met()).isEmpty();

        ByteArrayOutputStream table = new ByteArrayOutputStream();
        BenchReport.print(rows, new PrintStream(table, true, StandardCharsets.UTF_8));
        List<String> lines = table.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.get(0)).isEqualTo("bench\tmeasure\tvalue\tunit\tgoal\tmet");
        assertThat(lines).contains("multi-adapter\tmixed_vs_naive_swap\t2.296\tratio\t>= 10\tno",
                "ingest\tevents_per_s_batched\t62000.0\tevents/s\t>= 50000\tyes",
                "serving\tpublished_to_first_prediction_p99\t263.0\tms\t<= 250\tno");
        assertThat(lines).allSatisfy(line -> assertThat(line.split("\t", -1)).hasSize(6));
    }

    @Test
    void aFileOfAnotherBenchmarkIsRefused() throws Exception {
        Files.writeString(results.resolve("engine.json"), "{\"bench\":\"serving\"}\n");
        assertThatThrownBy(() -> BenchReport.rows(results, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
                .hasMessageContaining("engine.json").hasMessageContaining("'serving'");
    }

    private static BenchReport.Row row(List<BenchReport.Row> rows, String measure) {
        return rows.stream().filter(r -> r.measure().equals(measure)).findFirst().orElseThrow();
    }
}
