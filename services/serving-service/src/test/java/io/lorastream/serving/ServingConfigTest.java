package io.lorastream.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.testing.ConfigMappings;
import io.smallrye.config.ConfigValidationException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The serving settings as declared on {@link ServingConfig}: defaults, and the start refusing bad values by key and value. */
class ServingConfigTest {
    private static ServingConfig.Serving serving(Map<String, String> values) {
        return ConfigMappings.load(ServingConfig.Serving.class, "lorastream.serving", values);
    }

    @Test
    void theDefaultsAreValidAndOptionalSettingsStayAbsent() {
        ServingConfig.Serving defaults = serving(Map.of());
        assertThat(defaults.intraOpThreads()).isEmpty();
        assertThat(defaults.pinnedTenants()).isEmpty();
        assertThat(defaults.replicaName()).isNotBlank();
        ServingConfig.Serving set = serving(Map.of("intra-op-threads", "1", "pinned-tenants", "acme,globex", "replica", "replica-1"));
        assertThat(set.intraOpThreads()).hasValue(1);
        assertThat(set.pinnedTenants()).contains(Set.of("acme", "globex"));
        assertThat(set.replicaName()).isEqualTo("replica-1");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = ';', textBlock = """
            intra-op-threads      ; 0          ; lorastream.serving.intra-op-threads must be at least 1 (was 0)
            cache-max-bytes       ; 1000       ; lorastream.serving.cache-max-bytes must be at least 1048576 (was 1000)
            max-batch-texts       ; 5000       ; lorastream.serving.max-batch-texts must be at most 4096 (was 5000)
            max-texts-per-request ; 0          ; lorastream.serving.max-texts-per-request must be at least 1 (was 0)
            load-threads          ; 65         ; lorastream.serving.load-threads must be at most 64 (was 65)
            command-timeout       ; PT0.05S    ; lorastream.serving.command-timeout must be at least 0.1 s (was PT0.05S)
            command-timeout       ; PT6M       ; lorastream.serving.command-timeout must be at most 5 min (was PT6M)
            device                ; tpu        ; lorastream.serving.device must match "auto|cpu|gpu" (was "tpu")
            pinned-tenants        ; acme,Bad_1 ; lorastream.serving.pinned-tenants must match "[a-z0-9][a-z0-9-]{0,62}" (was "Bad_1")
            replica               ; '  '       ; lorastream.serving.replica must be 1 to 128 characters, not all blank
            """)
    void aBadSettingIsRefusedNamingKeyAndValue(String key, String value, String message) {
        assertThatThrownBy(() -> serving(Map.of(key, value))).isInstanceOf(ConfigValidationException.class)
                .hasMessageContaining(message);
    }

    @Test
    void requestTextsAreCheckedAgainstTheLimits() {
        ServingConfig.Serving limits = serving(Map.of("max-texts-per-request", "2", "max-text-length", "5"));
        Scoring.checkTexts(limits, List.of("short", "ok"));
        assertThatThrownBy(() -> Scoring.checkTexts(limits, List.of("a", "b", "c")))
                .hasMessageContaining("3 texts, at most 2 per request (lorastream.serving.max-texts-per-request)");
        assertThatThrownBy(() -> Scoring.checkTexts(limits, List.of("a", "longer")))
                .hasMessageContaining("texts[1]: 6 characters, at most 5 (lorastream.serving.max-text-length)");
        assertThatThrownBy(() -> Scoring.checkTexts(limits, List.of(" "))).hasMessageContaining("texts[0]: must be a non-blank string");
        assertThatThrownBy(() -> Scoring.checkTexts(limits, List.of())).hasMessageContaining("texts: a non-empty array");
    }
}
