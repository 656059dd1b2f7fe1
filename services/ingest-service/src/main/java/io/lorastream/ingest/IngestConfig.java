package io.lorastream.ingest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;

/**
 * ingest-service settings ({@code lorastream.ingest.*}), each declared once with its rule: the start fails
 * on a value that breaks one, naming the key and the value. Kafka and HTTP settings are Quarkus' own
 * (application.properties).
 */
@ConfigMapping(prefix = "lorastream.ingest")
public interface IngestConfig {

    /** Most feedback items in one request. */
    @WithDefault("10000")
    @Min(1)
    int maxBatchSize();

    /** Largest request body, bytes. */
    @WithDefault("16777216")
    @Min(1)
    int maxBodyBytes();

    /** Longest feedback text, characters; at most the schema's own limit (feedback-received.v1.json). */
    @WithDefault("20000")
    @Min(1)
    @Max(20_000)
    int maxTextLength();

    /** How long a request waits for Kafka to acknowledge its records before answering 503. */
    @WithDefault("PT20S")
    @DurationMin(millis = 1, message = "{lorastream.duration.positive}")
    Duration publishTimeout();

    /** Retry-After sent with 503 when Kafka is unreachable. */
    @WithDefault("PT5S")
    @DurationMin(nanos = 0, message = "{lorastream.duration.not-negative}")
    Duration retryAfter();
}
