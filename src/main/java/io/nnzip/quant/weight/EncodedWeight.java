package io.nnzip.quant.weight;

import io.nnzip.ir.Graph;

/**
 * A weight tensor after quantization: the float values the model computes with (what the ONNX subgraph
 * dequantizes to, bit for bit), and how to write that subgraph. {@code bits} is the information per weight,
 * {@code storage} the element type actually stored (int2 values live in int4 or int8 containers).
 */
public record EncodedWeight(float[] values, int bits, String storage, long bytes, float minScale, float maxScale, int zeroPoint,
                            Emitter emitter) {
    /**
     * The same values stored as a plain float initializer: the size of the float model, but ONNX Runtime runs it
     * at float speed with nothing to decode, and the .nnz codec codes a tensor of few distinct values by index.
     */
    public EncodedWeight asFloat(int[] shape) {
        long distinct = java.util.stream.IntStream.range(0, values.length).mapToObj(i -> values[i]).distinct().count();
        Emitter e = (g, base) -> Containers.init(g, base + "_shared", io.nnzip.ir.Tensor.of(values.clone(), shape));
        return new EncodedWeight(values, bits, "float (" + distinct + " distinct values)", 4L * values.length, minScale, maxScale, zeroPoint, e);
    }

    /** Adds initializers and nodes producing the float weight to {@code g}; returns the produced value's name. */
    @FunctionalInterface
    public interface Emitter {
        String emit(Graph g, String baseName);
    }
}
