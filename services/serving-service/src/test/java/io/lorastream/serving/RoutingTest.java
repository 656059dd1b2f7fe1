package io.lorastream.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RoutingTest {
    @Test
    void theCanaryGetsItsShareDeterministically() {
        long routed = IntStream.range(0, 20_000).filter(i -> Routing.toCandidate("req-" + i, 0.3)).count();
        assertThat(routed / 20_000.0).isBetween(0.28, 0.32);
        String id = UUID.randomUUID().toString();
        boolean first = Routing.toCandidate(id, 0.5);
        assertThat(IntStream.range(0, 10).allMatch(i -> Routing.toCandidate(id, 0.5) == first)).as("the same request, the same way").isTrue();
        assertThat(IntStream.range(0, 1000).noneMatch(i -> Routing.toCandidate("r" + i, 0))).isTrue();
        assertThat(IntStream.range(0, 1000).filter(i -> Routing.toCandidate("r" + i, 0.1)).allMatch(i -> Routing.toCandidate("r" + i, 0.5)))
                .as("a larger share keeps the smaller one's requests").isTrue();
    }
}
