package io.lorastream.bench;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * What a libtorch profiler trace (Chrome trace JSON, as DJL's {@code JniUtils.stopProfile} writes it)
 * says about matrix products: the time spent in them, which a faster implementation of everything else
 * cannot remove. Read as a stream: a trace of a few thousand training steps holds millions of events.
 */
final class TorchTrace {
    /** libtorch's dense matrix-product kernels: linear layers (mm, addmm) and attention (bmm, baddbmm). */
    static final Set<String> MATRIX_PRODUCTS = Set.of("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm");

    /** @param matrixProductSeconds total duration of {@link #MATRIX_PRODUCTS} events; {@code calls}: how many */
    record MatrixProducts(double matrixProductSeconds, long calls) {}

    private TorchTrace() {}

    static MatrixProducts matrixProducts(Path trace) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        double micros = 0;
        long calls = 0;
        try (JsonParser parser = mapper.getFactory().createParser(trace.toFile())) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new IOException(trace + " is not a Chrome trace (a JSON array of events)");
            }
            while (parser.nextToken() == JsonToken.START_OBJECT) {
                JsonNode event = mapper.readTree(parser);
                // "X" events are complete spans; these kernels do not nest in one another
                if ("X".equals(event.path("ph").asText()) && MATRIX_PRODUCTS.contains(event.path("name").asText())) {
                    micros += event.path("dur").asDouble();
                    calls++;
                }
            }
        }
        return new MatrixProducts(micros / 1e6, calls);
    }
}
