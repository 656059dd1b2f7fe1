package io.lorastream.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ServingSettingsTest {
    static ServingSettings withThreads(OptionalInt threads) {
        return new ServingSettings(1 << 20, Set.of(), 64, 256, 20_000, 2, "replica-1", Duration.ofSeconds(15), threads);
    }

    @Test
    void intraOpThreadsAreOptionalAndCheckedWithTheKeyNamed() {
        assertThat(withThreads(OptionalInt.empty()).intraOpThreads()).isEmpty();
        assertThat(withThreads(OptionalInt.of(1)).intraOpThreads()).hasValue(1);
        assertThatThrownBy(() -> withThreads(OptionalInt.of(0))).hasMessageContaining("lorastream.serving.intra-op-threads=0");
    }
}
