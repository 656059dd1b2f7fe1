package io.lorastream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class ReplaceFailedStreamThreadsTest {
    private Instant now = Instant.parse("2026-12-04T10:00:00Z");

    private final Clock clock = new Clock() {
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    };

    @Test
    void aFailedThreadIsReplacedUntilFailuresComeBackTooOften() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ReplaceFailedStreamThreads handler = new ReplaceFailedStreamThreads(registry, clock);
        for (int i = 0; i < ReplaceFailedStreamThreads.MAX_REPLACEMENTS; i++) {
            assertThat(handler.handle(new InvalidTxnStateException("broker killed"))).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
            now = now.plusSeconds(1);
        }
        assertThat(handler.handle(new IllegalStateException("again"))).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);

        ReplaceFailedStreamThreads later = new ReplaceFailedStreamThreads(registry, clock);
        for (int i = 0; i < 3 * ReplaceFailedStreamThreads.MAX_REPLACEMENTS; i++) {
            assertThat(later.handle(new InvalidTxnStateException("now and then"))).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
            now = now.plus(Duration.ofMinutes(1)); // spread out: the window never holds more than five
        }
        assertThat(registry.counter("lorastream.streams.threads.failed", "response", "replaced").count()).isEqualTo(40);
    }
}
