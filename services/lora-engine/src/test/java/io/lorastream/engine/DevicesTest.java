package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DevicesTest {
    @Test
    void intraOpThreadsAreLibtorchsOwnAndZeroIsRefused() {
        int before = Devices.intraOpThreads();
        try {
            Devices.useIntraOpThreads(1);
            assertThat(Devices.intraOpThreads()).isEqualTo(1);
            Devices.useIntraOpThreads(3);
            assertThat(Devices.intraOpThreads()).isEqualTo(3);
            assertThatThrownBy(() -> Devices.useIntraOpThreads(0)).hasMessageContaining("intra-op threads=0");
            assertThat(Devices.intraOpThreads()).as("unchanged by the refused value").isEqualTo(3);
        } finally {
            Devices.useIntraOpThreads(before);
        }
    }
}
