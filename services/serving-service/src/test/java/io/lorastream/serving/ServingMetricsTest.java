package io.lorastream.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.events.ScoreCompleted;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServingMetricsTest {
    @Test
    void theSeriesOfRetiredVersionsGoAndNoOtherTenantsOrVersions() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ServingMetrics metrics = new ServingMetrics(registry);
        for (int v = 1; v <= 3; v++) {
            metrics.predictions("acme", v, ScoreCompleted.Route.STABLE, 5);
            metrics.predictions("acme", v, ScoreCompleted.Route.CANARY, 1);
        }
        metrics.predictions("globex", 1, ScoreCompleted.Route.STABLE, 7);
        metrics.retired("acme", List.of(1, 2));
        assertThat(metrics.predictionCounts("acme")).containsOnlyKeys(3);
        assertThat(metrics.predictionCounts("globex")).containsOnlyKeys(1);
        assertThat(registry.find("lorastream.serving.predictions").counters()).hasSize(3);
    }
}
