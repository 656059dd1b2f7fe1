package io.lorastream.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads a safetensors file into Java floats, checking the header and every offset against the file
 * size first, so a truncated or corrupt file fails with a message and never reaches native code.
 * F16 and BF16 are widened here: DJL's own reader crashes the JVM on BF16 (docs/platform.md).
 * Writing uses DJL ({@code NDList.encode(SAFETENSORS)}).
 */
final class Safetensors {
    private static final long MAX_HEADER = 100_000_000;

    private Safetensors() {}

    /** The tensors whose names {@code wanted} accepts. */
    static Map<String, FloatTensor> read(Path file, Predicate<String> wanted) throws IOException {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new IOException(file + " is truncated: " + size + " bytes");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, file);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER) {
                throw new IOException(file + " is not a safetensors file (header length " + headerLength + ")");
            }
            if (8 + headerLength > size) {
                throw new IOException(file + " is truncated: header needs " + (8 + headerLength) + " bytes, file has " + size);
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, file);
            JsonNode header;
            try {
                header = new ObjectMapper().readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IOException(file + " has a corrupt safetensors header: " + e.getMessage(), e);
            }
            long dataStart = 8 + headerLength;
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                String name = entry.getKey();
                if (name.equals("__metadata__")) {
                    continue;
                }
                JsonNode info = entry.getValue();
                String dtype = info.path("dtype").asText();
                JsonNode shapeNode = info.path("shape");
                long[] shape = new long[shapeNode.size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeNode.get(i).asLong();
                    count *= shape[i];
                }
                long begin = info.path("data_offsets").path(0).asLong(-1);
                long end = info.path("data_offsets").path(1).asLong(-1);
                int bytesPer = switch (dtype) {
                    case "F32" -> 4;
                    case "F16", "BF16" -> 2;
                    default -> throw new IOException(file + ": " + name + " has dtype " + dtype + " (F32, F16 or BF16 expected)");
                };
                if (begin < 0 || end < begin || end - begin != count * bytesPer) {
                    throw new IOException(file + ": " + name + " has offsets [" + begin + ", " + end + ") that do not fit its shape");
                }
                if (dataStart + end > size) {
                    throw new IOException(file + " is truncated: " + name + " ends at byte " + (dataStart + end) + " of " + size);
                }
                if (!wanted.test(name)) {
                    continue;
                }
                ByteBuffer raw = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
                channel.position(dataStart + begin);
                readFully(channel, raw, file);
                raw.flip();
                tensors.put(name, new FloatTensor(shape, widen(raw, dtype)));
            }
        }
        return tensors;
    }

    private static float[] widen(ByteBuffer raw, String dtype) {
        if (dtype.equals("F32")) {
            float[] out = new float[raw.remaining() / 4];
            raw.asFloatBuffer().get(out);
            return out;
        }
        float[] out = new float[raw.remaining() / 2];
        for (int i = 0; i < out.length; i++) {
            short bits = raw.getShort();
            out[i] = dtype.equals("F16") ? halfToFloat(bits) : Float.intBitsToFloat((bits & 0xffff) << 16); // bf16: high half of an f32
        }
        return out;
    }

    /** IEEE 754 binary16 → binary32 (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13)); // inf, NaN
        }
        if (exponent == 0) {
            float value = mantissa * 0x1p-24f; // zero or subnormal
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    private static void readFully(FileChannel channel, ByteBuffer into, Path file) throws IOException {
        while (into.hasRemaining()) {
            if (channel.read(into) < 0) {
                throw new IOException(file + " is truncated");
            }
        }
    }
}
