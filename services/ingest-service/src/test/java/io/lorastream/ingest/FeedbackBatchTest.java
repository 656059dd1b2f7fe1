package io.lorastream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.events.FeedbackReceived;
import io.lorastream.testing.ConfigMappings;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeedbackBatchTest {
    private static final IngestConfig LIMITS = ConfigMappings.load(IngestConfig.class, "lorastream.ingest",
            Map.of("max-batch-size", "100", "max-body-bytes", "100000", "max-text-length", "1000"));
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    private static List<FeedbackReceived> read(String body, boolean ndjson) {
        return FeedbackBatch.read("acme", body.getBytes(StandardCharsets.UTF_8), ndjson, LIMITS, NOW, null);
    }

    private static List<FieldError> errors(String body, boolean ndjson) {
        try {
            read(body, ndjson);
        } catch (InvalidBatchException e) {
            return e.errors();
        }
        throw new AssertionError("accepted: " + body);
    }

    @Test
    void itemsBecomeEventsOfThePathsTenantStampedNow() {
        List<FeedbackReceived> events = read("{\"id\":\"a-1\",\"text\":\"good\",\"label\":\"pos\",\"predictionId\":\"p-9\",\"metadata\":{\"k\":\"v\"}}", false);
        assertThat(events).containsExactly(new FeedbackReceived("a-1", "acme", "good", "pos", "p-9", java.util.Map.of("k", "v"), NOW));
        List<FeedbackReceived> generated = read("[{\"text\":\"a\",\"label\":\"x\"},{\"text\":\"b\",\"label\":\"y\"}]", false);
        assertThat(generated).extracting(FeedbackReceived::id).doesNotHaveDuplicates().allMatch(id -> id.length() == 36);
        assertThat(generated).extracting(FeedbackReceived::text).containsExactly("a", "b");
    }

    @Test
    void everyProblemIsNamedByLineAndField() {
        List<FieldError> errors = errors("{\"text\":\"ok\",\"label\":\"p\"}\n{\"text\":\"\",\"label\":\"p\"}\n{\"label\":\"p\"}\n"
                + "{\"text\":\"t\",\"label\":\"\"}\n{\"id\":\"has space\",\"text\":\"t\",\"label\":\"p\"}\n{\"text\":7,\"label\":\"p\"}\n", true);
        assertThat(errors).extracting(FieldError::line).containsExactly(2, 3, 4, 5, 6);
        assertThat(errors).extracting(FieldError::field).containsExactly("text", "text", "label", "id", "text");
    }

    @Test
    void arrayItemsAreNamedByLineAndIndex() {
        List<FieldError> errors = errors("[\n {\"text\":\"a\",\"label\":\"p\"},\n {\"text\":\"b\"}\n]", false);
        assertThat(errors).containsExactly(new FieldError(3, 1, "label", errors.get(0).message()));
    }

    @Test
    void anNdjsonLineHoldsOneObjectAndNothingAfterIt() {
        List<FieldError> errors = errors("{\"text\":\"a\",\"label\":\"p\"}\n{\"text\":\"b\",\"label\":\"p\"} {\"text\":\"c\",\"label\":\"p\"}\n", true);
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).line()).isEqualTo(2);
        assertThat(errors.get(0).message()).contains("content after the JSON value").contains("one object per line");
        assertThat(errors("{\"text\":\"a\",\"label\":\"p\"} x", true).get(0).message()).as("trailing garbage").contains("not JSON");
    }

    @Test
    void invalidUtf8IsRefusedNamingItsLineNotReplaced() {
        byte[] body = "{\"text\":\"ok\",\"label\":\"p\"}\n{\"text\":\"bad \u00ff\",\"label\":\"p\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        for (boolean ndjson : new boolean[] {true, false}) {
            assertThatThrownBy(() -> FeedbackBatch.read("acme", body, ndjson, LIMITS, NOW, null))
                    .isInstanceOfSatisfying(InvalidBatchException.class, e -> {
                        assertThat(e.getMessage()).contains("not valid UTF-8");
                        assertThat(e.errors().get(0).line()).isEqualTo(2);
                    });
        }
    }

    @Test
    void generatedIdsAreAFunctionOfTheRequestSoARetryRepeatsThem() {
        String body = "[{\"text\":\"a\",\"label\":\"x\"},{\"text\":\"b\",\"label\":\"y\"},{\"id\":\"mine\",\"text\":\"c\",\"label\":\"y\"}]";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        List<String> first = FeedbackBatch.read("acme", bytes, false, LIMITS, NOW, null).stream().map(FeedbackReceived::id).toList();
        List<String> retry = FeedbackBatch.read("acme", bytes, false, LIMITS, NOW.plusSeconds(5), null).stream().map(FeedbackReceived::id).toList();
        assertThat(retry).isEqualTo(first);
        assertThat(first).doesNotHaveDuplicates().endsWith("mine");
        assertThat(FeedbackBatch.read("globex", bytes, false, LIMITS, NOW, null).get(0).id()).as("another tenant").isNotEqualTo(first.get(0));
        List<String> keyed = FeedbackBatch.read("acme", bytes, false, LIMITS, NOW, "order-17").stream().map(FeedbackReceived::id).toList();
        assertThat(keyed.get(0)).as("a key replaces the body as the seed").isNotEqualTo(first.get(0));
        assertThat(FeedbackBatch.read("acme", bytes, false, LIMITS, NOW, "order-17").get(1).id()).isEqualTo(keyed.get(1));
        assertThat(FeedbackBatch.read("acme", bytes, false, LIMITS, NOW, "order-18").get(0).id()).isNotEqualTo(keyed.get(0));
    }

    @Test
    void limitsAndShapes() {
        assertThatThrownBy(() -> read("{\"text\":\"" + "x".repeat(100_001) + "\"}", false))
                .isInstanceOf(FeedbackBatch.BodyTooLargeException.class).hasMessageContaining("max-body-bytes");
        assertThat(errors("{\"text\":\"" + "x".repeat(1001) + "\",\"label\":\"p\"}", false).get(0).field()).isEqualTo("text");
        assertThat(errors("", false).get(0).message()).contains("no feedback");
        assertThat(errors("{\"text\":\"a\",\"label\":\"p\"} {\"text\":\"b\",\"label\":\"p\"}", false).get(0).message()).contains("ndjson");
        assertThat(errors("{\"text\":\"a\",\"label\":\"p\",\"timestamp\":\"now\"}", false).get(0).field()).isEqualTo("timestamp");
    }
}
