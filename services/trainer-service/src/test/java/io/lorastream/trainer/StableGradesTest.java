package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The stable's kept holdout probabilities: what is computed, what is reused, and what is let go. */
class StableGradesTest {
    /** Stands for an adapter: a text's "probabilities" are a function of the text and of which version made them. */
    private static final class CountingModel implements Function<List<String>, float[][]> {
        final int version;
        final List<String> asked = new ArrayList<>();

        CountingModel(int version) {
            this.version = version;
        }

        @Override
        public float[][] apply(List<String> texts) {
            asked.addAll(texts);
            return texts.stream().map(t -> new float[] {version, t.length()}).toArray(float[][]::new);
        }
    }

    private static List<String> ids(int from, int to) {
        return java.util.stream.IntStream.range(from, to).mapToObj(i -> "id-" + i).toList();
    }

    private static List<String> texts(List<String> ids) {
        return ids.stream().map(id -> "text of " + id).toList();
    }

    @Test
    void aSecondGradingOfTheSameVersionComputesOnlyTheNewExamplesAndAnswersAsAFullOne() {
        StableGrades grades = new StableGrades(8);
        CountingModel v1 = new CountingModel(1);
        List<String> first = ids(0, 10);
        grades.probabilities("acme", 1, first, texts(first), v1);
        assertThat(v1.asked).hasSize(10);

        v1.asked.clear();
        List<String> second = ids(5, 15); // the holdout moved on: 5 new examples, 5 dropped
        float[][] kept = grades.probabilities("acme", 1, second, texts(second), v1);
        assertThat(v1.asked).containsExactlyElementsOf(texts(ids(10, 15)));
        assertThat(kept).isDeepEqualTo(new CountingModel(1).apply(texts(second)));
        assertThat(grades.counts()).containsExactly(15, 5);

        v1.asked.clear();
        grades.probabilities("acme", 1, first, texts(first), v1); // only the last holdout is kept: 0..4 went
        assertThat(v1.asked).containsExactlyElementsOf(texts(ids(0, 5)));
    }

    @Test
    void anotherStableVersionOrTenantIsGradedInFull() {
        StableGrades grades = new StableGrades(8);
        List<String> ids = ids(0, 10);
        grades.probabilities("acme", 1, ids, texts(ids), new CountingModel(1));
        CountingModel v2 = new CountingModel(2);
        assertThat(grades.probabilities("acme", 2, ids, texts(ids), v2)).isDeepEqualTo(new CountingModel(2).apply(texts(ids)));
        assertThat(v2.asked).hasSize(10);
        CountingModel other = new CountingModel(2);
        grades.probabilities("globex", 2, ids, texts(ids), other);
        assertThat(other.asked).as("nothing of one tenant's is another's").hasSize(10);
    }

    @Test
    void keepsOnlyTheTenantsGradedLastAndForgetsAnOffboardedOne() {
        StableGrades grades = new StableGrades(2);
        List<String> ids = ids(0, 3);
        for (String tenant : List.of("a", "b", "c")) {
            grades.probabilities(tenant, 1, ids, texts(ids), new CountingModel(1));
        }
        CountingModel again = new CountingModel(1);
        grades.probabilities("c", 1, ids, texts(ids), again);
        assertThat(again.asked).isEmpty();
        grades.probabilities("a", 1, ids, texts(ids), again);
        assertThat(again.asked).as("a, the least recently graded of three, was let go").hasSize(3);

        again.asked.clear();
        grades.forget("a");
        grades.probabilities("a", 1, ids, texts(ids), again);
        assertThat(again.asked).hasSize(3);
    }
}
