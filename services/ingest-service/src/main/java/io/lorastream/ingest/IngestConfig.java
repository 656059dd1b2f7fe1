package io.lorastream.ingest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * ingest-service settings ({@code lorastream.ingest.*}); checked once at start by {@link IngestLimits#from}.
 * Kafka and HTTP settings are Quarkus' own (application.properties).
 */
@ConfigMapping(prefix = "lorastream.ingest")
public interface IngestConfig {

    /** Most feedback items in one request. */
    @WithDefault("10000")
    int maxBatchSize();

    /** Largest request body, bytes. */
    @WithDefault("16777216")
    int maxBodyBytes();

    /** Longest feedback text, characters (the schema allows up to 20,000). */
    @WithDefault("20000")
    int maxTextLength();

    /** How long a request waits for Kafka to acknowledge its records before answering 503. */
    @WithDefault("PT20S")
    Duration publishTimeout();

    /** Retry-After sent with 503 when Kafka is unreachable. */
    @WithDefault("PT5S")
    Duration retryAfter();
}
