package io.lorastream.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;

/** accepted, rejected by reason, publish latency: on /q/metrics. */
@Singleton
public class IngestMetrics {
    private final MeterRegistry registry;
    private final Counter accepted;
    private final Timer publishLatency;

    IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.accepted = Counter.builder("lorastream.ingest.accepted").description("Feedback items acknowledged by Kafka").register(registry);
        this.publishLatency = Timer.builder("lorastream.ingest.publish.latency")
                .description("From a valid batch to Kafka's acknowledgement of all of it")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    void accepted(int items, Timer.Sample publishing) {
        publishing.stop(publishLatency);
        accepted.increment(items);
    }

    void rejected(String reason) {
        Counter.builder("lorastream.ingest.rejected").tag("reason", reason)
                .description("Requests refused, by reason").register(registry).increment();
    }
}
