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
 * Reads safetensors files, checking the header and every offset against the file size first, so a truncated or
 * corrupt file fails with a message and never reaches native code. F16 and BF16 are widened here: DJL's own
 * reader crashes the JVM on BF16 (docs/platform.md). Two ways in: {@link #read} into Java arrays (adapters: small),
 * and {@link #index} + {@link Entry#stream} in chunks (a base: its weights never sit whole in the Java heap).
 * Writing uses DJL ({@code NDList.encode(SAFETENSORS)}).
 */
final class Safetensors {
    private static final long MAX_HEADER = 100_000_000;

    private Safetensors() {}

    /** One tensor of a file, checked against the file's size: where its bytes are and how to widen them. */
    record Entry(Path file, String name, String dtype, long[] shape, long position, long bytes) implements WeightSource {
        int bytesPer() {
            return dtype.equals("F32") ? 4 : 2;
        }

        /** Reads the tensor in chunks, widened to f32 in place (16-bit values are read into the scratch, then spread out from the end). */
        @Override
        public void stream(ByteBuffer scratch, int maxValues, ChunkSink sink) throws IOException {
            long values = bytes / bytesPer();
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                channel.position(position);
                for (long done = 0; done < values; ) {
                    int n = (int) Math.min(values - done, maxValues);
                    scratch.clear().limit(n * bytesPer());
                    readFully(channel, scratch, file);
                    scratch.limit(n * 4);
                    if (bytesPer() == 2) {
                        // value i moves from byte 2i to byte 4i: going down from the last, nothing is overwritten before it is read
                        for (int i = n - 1; i >= 0; i--) {
                            short bits = scratch.getShort(2 * i);
                            scratch.putFloat(4 * i, dtype.equals("F16") ? halfToFloat(bits) : Float.intBitsToFloat((bits & 0xffff) << 16)); // bf16: high half of an f32
                        }
                    }
                    scratch.position(0).limit(n * 4);
                    sink.accept(scratch, done, n);
                    done += n;
                }
            }
        }
    }

    /** The tensors whose names {@code wanted} accepts, read whole into Java arrays. */
    static Map<String, FloatTensor> read(Path file, Predicate<String> wanted) throws IOException {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        for (Entry entry : index(file, wanted).values()) {
            float[] values = new float[(int) (entry.bytes() / entry.bytesPer())];
            ByteBuffer scratch = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            entry.stream(scratch, values.length, (chunk, first, count) -> chunk.asFloatBuffer().get(values, (int) first, count));
            tensors.put(entry.name(), new FloatTensor(entry.shape(), values));
        }
        return tensors;
    }

    /** Where each tensor whose name {@code wanted} accepts lies in {@code file}; every tensor's header is checked. */
    static Map<String, Entry> index(Path file, Predicate<String> wanted) throws IOException {
        Map<String, Entry> entries = new LinkedHashMap<>();
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
                Map.Entry<String, JsonNode> field = it.next();
                String name = field.getKey();
                if (name.equals("__metadata__")) {
                    continue;
                }
                JsonNode info = field.getValue();
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
                if (wanted.test(name)) {
                    entries.put(name, new Entry(file, name, dtype, shape, dataStart + begin, end - begin));
                }
            }
        }
        return entries;
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
