package io.lorastream.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.engine.Adapter;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Classifier;
import io.lorastream.engine.LoraConfig;
import io.lorastream.testing.KafkaAndS3TestResource;
import io.lorastream.testing.TestTokenKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The scoring queue is bounded: beyond {@code max-queued-texts} a request is refused at once, and a request
 * whose caller gave up is not scored. The scoring thread starts only when the test says, so what waits is
 * exactly what was submitted. Runs in the service's test JVM (its base).
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaAndS3TestResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = TestTokenKeys.class, restrictToAnnotatedClass = true)
class ScoringQueueTest {
    @Inject
    BaseModel base;

    @Test
    void beyondTheBoundARequestIsRefusedAndAGivenUpRequestIsSkipped() throws Exception {
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("a", "b"), 1);
             ScoringQueue queue = new ScoringQueue(base, 8, 10, new ServingMetrics(new SimpleMeterRegistry()))) {
            CompletableFuture<List<Classifier.Prediction>> first = queue.submit(adapter, List.of("one", "two", "three", "four"));
            CompletableFuture<List<Classifier.Prediction>> givenUp = queue.submit(adapter, List.of("five", "six"));
            CompletableFuture<List<Classifier.Prediction>> third = queue.submit(adapter, List.of("seven", "eight", "nine", "ten"));
            assertThat(queue.queuedTexts()).isEqualTo(10);
            assertThatThrownBy(() -> queue.submit(adapter, List.of("eleven")))
                    .isInstanceOf(ScoringQueue.OverloadedException.class).hasMessageContaining("lorastream.serving.max-queued-texts");
            givenUp.cancel(false);

            queue.start();
            assertThat(first.get(60, TimeUnit.SECONDS)).hasSize(4);
            assertThat(third.get(60, TimeUnit.SECONDS)).hasSize(4);
            assertThat(givenUp).isCancelled();
            assertThat(queue.queuedTexts()).isZero();
            assertThat(queue.submit(adapter, List.of("eleven")).get(60, TimeUnit.SECONDS)).as("room again").hasSize(1);
        }
    }

    @Test
    void oneRequestLargerThanTheBoundAloneIsTaken() throws Exception {
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("a", "b"), 1);
             ScoringQueue queue = new ScoringQueue(base, 8, 2, new ServingMetrics(new SimpleMeterRegistry())).start()) {
            assertThat(queue.submit(adapter, List.of("a", "b", "c")).get(60, TimeUnit.SECONDS)).hasSize(3);
        }
    }
}
