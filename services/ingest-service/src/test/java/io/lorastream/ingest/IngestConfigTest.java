package io.lorastream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.testing.ConfigMappings;
import io.smallrye.config.ConfigValidationException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ingest's settings as declared on {@link IngestConfig}: defaults, and bad values refused by key and value. */
class IngestConfigTest {
    private static IngestConfig ingest(Map<String, String> values) {
        return ConfigMappings.load(IngestConfig.class, "lorastream.ingest", values);
    }

    @Test
    void theDefaultsAreValidAndDurationsReadAsQuarkusReadsThem() {
        assertThat(ingest(Map.of()).maxTextLength()).isEqualTo(20_000);
        assertThat(ingest(Map.of("publish-timeout", "20s")).publishTimeout()).isEqualTo(Duration.ofSeconds(20));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = ';', textBlock = """
            max-batch-size  ; 0     ; lorastream.ingest.max-batch-size must be at least 1 (was 0)
            max-body-bytes  ; -5    ; lorastream.ingest.max-body-bytes must be at least 1 (was -5)
            max-text-length ; 20001 ; lorastream.ingest.max-text-length must be at most 20000 (was 20001)
            publish-timeout ; PT0S  ; lorastream.ingest.publish-timeout must be a positive duration (was PT0S)
            retry-after     ; -PT1S ; lorastream.ingest.retry-after must not be a negative duration (was PT-1S)
            """)
    void aBadSettingIsRefusedNamingKeyAndValue(String key, String value, String message) {
        assertThatThrownBy(() -> ingest(Map.of(key, value))).isInstanceOf(ConfigValidationException.class).hasMessageContaining(message);
    }
}
