package io.lorastream.engine;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the float initializers of an ONNX model and the nodes that consume them, straight from the
 * protobuf wire format (field numbers of onnx.proto): no ONNX library is needed for a weight file.
 */
final class OnnxInitializers {
    // onnx.proto field numbers
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int NODE_INPUT = 1;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int DATA_TYPE_FLOAT = 1;

    /** A float tensor: row-major data and its shape. */
    record Tensor(String name, long[] shape, FloatBuffer data) {}

    /** A graph node, reduced to what weight mapping needs. */
    record Node(String name, String opType, List<String> inputs) {}

    final Map<String, Tensor> tensors = new LinkedHashMap<>();
    final List<Node> nodes = new ArrayList<>();

    static OnnxInitializers read(byte[] model) throws IOException {
        OnnxInitializers result = new OnnxInitializers();
        CodedInputStream in = CodedInputStream.newInstance(model);
        in.enableAliasing(true); // raw_data slices share the array instead of copying 90 MB
        in.setSizeLimit(Integer.MAX_VALUE);
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH) {
                int limit = in.pushLimit(in.readRawVarint32());
                result.readGraph(in);
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
        return result;
    }

    /** Initializer name → the names of the nodes of {@code opType} that take it as an input. */
    Map<String, List<String>> consumers(String opType) {
        Map<String, List<String>> byInput = new HashMap<>();
        for (Node node : nodes) {
            if (node.opType().equals(opType)) {
                for (String input : node.inputs()) {
                    if (tensors.containsKey(input)) {
                        byInput.computeIfAbsent(input, k -> new ArrayList<>()).add(node.name());
                    }
                }
            }
        }
        return byInput;
    }

    private void readGraph(CodedInputStream in) throws IOException {
        int tag;
        while ((tag = in.readTag()) != 0) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == GRAPH_NODE || field == GRAPH_INITIALIZER) {
                int limit = in.pushLimit(in.readRawVarint32());
                if (field == GRAPH_NODE) {
                    nodes.add(readNode(in));
                } else {
                    Tensor tensor = readTensor(in);
                    if (tensor != null) {
                        tensors.put(tensor.name(), tensor);
                    }
                }
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
    }

    private static Node readNode(CodedInputStream in) throws IOException {
        List<String> inputs = new ArrayList<>();
        String name = "";
        String opType = "";
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NODE_INPUT -> inputs.add(in.readString());
                case NODE_NAME -> name = in.readString();
                case NODE_OP_TYPE -> opType = in.readString();
                default -> in.skipField(tag);
            }
        }
        return new Node(name, opType, List.copyOf(inputs));
    }

    /** Returns null for non-float tensors (shape constants and the like). */
    private static Tensor readTensor(CodedInputStream in) throws IOException {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        List<Float> floats = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            int field = WireFormat.getTagFieldNumber(tag);
            int wireType = WireFormat.getTagWireType(tag);
            if (field == TENSOR_DIMS && wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int limit = in.pushLimit(in.readRawVarint32());
                while (in.getBytesUntilLimit() > 0) {
                    dims.add(in.readInt64());
                }
                in.popLimit(limit);
            } else if (field == TENSOR_DIMS) {
                dims.add(in.readInt64());
            } else if (field == TENSOR_DATA_TYPE) {
                dataType = in.readInt32();
            } else if (field == TENSOR_NAME) {
                name = in.readString();
            } else if (field == TENSOR_RAW_DATA) {
                raw = in.readByteBuffer();
            } else if (field == TENSOR_FLOAT_DATA && wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int limit = in.pushLimit(in.readRawVarint32());
                while (in.getBytesUntilLimit() > 0) {
                    floats.add(in.readFloat());
                }
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
        if (dataType != DATA_TYPE_FLOAT) {
            return null;
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        FloatBuffer data;
        if (raw != null) {
            data = raw.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer(); // ONNX raw_data is little-endian
        } else {
            data = FloatBuffer.allocate(floats.size());
            floats.forEach(data::put);
            data.flip();
        }
        return new Tensor(name, shape, data);
    }
}
