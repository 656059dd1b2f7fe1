package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Family;
import io.lorastream.engine.FusedTrainer;
import io.lorastream.engine.LoraConfig;
import io.lorastream.testing.ConfigMappings;
import io.smallrye.config.ConfigValidationException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The trainer's settings as declared on {@link TrainerConfig}: the engine's configs built from them, and bad values refused by key and value. */
class TrainerConfigTest {
    private static TrainerConfig.Trainer trainer(Map<String, String> values) {
        return ConfigMappings.load(TrainerConfig.Trainer.class, "lorastream.trainer", values);
    }

    @Test
    void theEnginesConfigsComeFromTheseSettingsAndItsDefaults() {
        TrainerConfig.Trainer settings = trainer(Map.of("epochs", "2", "rank", "4", "alpha", "8", "seed", "7"));
        assertThat(settings.training().epochs()).isEqualTo(2);
        assertThat(settings.training().batchSize()).isEqualTo(16);
        assertThat(settings.training().seed()).isEqualTo(7);
        assertThat(settings.lora().r()).isEqualTo(4);
        assertThat(settings.lora().loraAlpha()).isEqualTo(8.0);
        assertThat(settings.lora().targetModules()).isEqualTo(LoraConfig.defaults().targetModules());
    }

    @Test
    void newAdaptersGetTheNamedHeadOrTheBasesAndAHeadTheBaseLacksIsRefusedByKeyAndValue() {
        BaseModel base = BaseModel.embedded(ai.djl.Device.cpu());
        try (base) {
            assertThat(trainer(Map.of()).head(base)).isEqualTo(base.defaultHead());
            assertThat(trainer(Map.of()).fuseTenants(base)).as("one at a time on a CPU unless asked").isEqualTo(1);
            assertThat(trainer(Map.of("fuse-tenants", "4")).fuseTenants(base)).isEqualTo(4);
            assertThat(trainer(Map.of()).fuseMaxPadding(base)).isEqualTo(FusedTrainer.DEFAULT_MAX_PADDING);
            assertThat(trainer(Map.of("head", "pooler")).head(base)).isEqualTo(Family.BERT.head("pooler"));
            assertThatThrownBy(() -> trainer(Map.of("head", "score")).head(base))
                    .hasMessageContaining("lorastream.trainer.head=score").hasMessageContaining("[pooler, mean]");
        }
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = ';', textBlock = """
            epochs        ; 0    ; lorastream.trainer.epochs must be at least 1 (was 0)
            batch-size    ; 5000 ; lorastream.trainer.batch-size must be at most 4096 (was 5000)
            learning-rate ; 0    ; lorastream.trainer.learning-rate must be greater than 0 (was 0.0)
            rank          ; 2000 ; lorastream.trainer.rank must be at most 1024 (was 2000)
            alpha         ; -1   ; lorastream.trainer.alpha must be greater than 0 (was -1.0)
            replay-ratio  ; 11   ; lorastream.trainer.replay-ratio must be at most 10 (was 11.0)
            gate-margin   ; 1.5  ; lorastream.trainer.gate-margin must be at most 1 (was 1.5)
            gate-alpha    ; 0.5  ; lorastream.trainer.gate-alpha must be less than 0.5 (was 0.5)
            device        ; tpu  ; lorastream.trainer.device must match "auto|cpu|gpu" (was "tpu")
            keep-versions ; 0    ; lorastream.trainer.keep-versions must be at least 1 (was 0)
            retention-grace ; -PT1H ; lorastream.trainer.retention-grace must not be a negative duration (was PT-1H)
            replay-sample-examples ; 0 ; lorastream.trainer.replay-sample-examples must be at least 1 (was 0)
            fuse-tenants  ; 65   ; lorastream.trainer.fuse-tenants must be at most 64 (was 65)
            fuse-max-padding ; 0.5 ; lorastream.trainer.fuse-max-padding must be at least 1 (was 0.5)
            """)
    void aBadSettingIsRefusedNamingKeyAndValue(String key, String value, String message) {
        assertThatThrownBy(() -> trainer(Map.of(key, value))).isInstanceOf(ConfigValidationException.class).hasMessageContaining(message);
    }
}
