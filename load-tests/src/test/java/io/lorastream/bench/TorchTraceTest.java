package io.lorastream.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchTraceTest {
    @TempDir
    Path dir;

    @Test
    void sumsOnlyCompleteMatrixProductSpans() throws Exception {
        Path trace = dir.resolve("t.json");
        Files.writeString(trace, """
                [
                {"name": "aten::matmul", "ph": "X", "ts": 0, "dur": 900.0, "tid": 1},
                {"name": "aten::mm", "ph": "X", "ts": 10, "dur": 250.5, "tid": 1},
                {"name": "aten::addmm", "ph": "X", "ts": 300, "dur": 100.0, "tid": 1, "args": {}},
                {"name": "aten::bmm", "ph": "X", "ts": 500, "dur": 49.5, "tid": 1},
                {"name": "aten::mm", "ph": "i", "ts": 600, "dur": 1000.0, "tid": 1},
                {"name": "aten::gelu", "ph": "X", "ts": 700, "dur": 70.0, "tid": 1},
                {"name": "aten::mul", "ph": "X", "ts": 800, "dur": 30.0, "tid": 1}
                ]
                """);

        TorchTrace.MatrixProducts products = TorchTrace.matrixProducts(trace);

        assertThat(products.calls()).isEqualTo(3);
        assertThat(products.matrixProductSeconds()).isCloseTo(400e-6, within(1e-12));
    }

    @Test
    void refusesWhatIsNotATrace() throws Exception {
        Path notATrace = dir.resolve("n.json");
        Files.writeString(notATrace, "{\"traceEvents\": []}");

        assertThatThrownBy(() -> TorchTrace.matrixProducts(notATrace)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a Chrome trace");
    }

    /** libtorch's own profiler, through DJL: its trace names the products as the reader expects. */
    @Test
    void readsWhatLibtorchsProfilerWrites() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = manager.randomNormal(new Shape(64, 32));
            NDArray b = manager.randomNormal(new Shape(32, 16));
            Path trace = dir.resolve("profile").resolve("products.trace.json");

            Map<String, Object> out = EngineBench.profiled(trace, () -> {
                for (int i = 0; i < 3; i++) {
                    a.matMul(b).close();
                }
                a.add(1f).close();
                return 3;
            });

            assertThat(trace).isRegularFile();
            assertThat(out.get("matrix_product_calls")).isEqualTo(3L);
            assertThat((double) out.get("matrix_product_seconds")).isPositive()
                    .isLessThanOrEqualTo((double) out.get("profiled_seconds"));
        }
    }
}
