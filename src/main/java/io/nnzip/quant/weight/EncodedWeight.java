package io.nnzip.quant.weight;

import io.nnzip.ir.Graph;

/**
 * A weight tensor after quantization: the float values the model computes with (what the ONNX subgraph
 * dequantizes to, bit for bit), and how to write that subgraph. {@code bits} is the information per weight,
 * {@code storage} the element type actually stored (int2 values live in int4 or int8 containers).
 */
public record EncodedWeight(float[] values, int bits, String storage, long bytes, float minScale, float maxScale, int zeroPoint,
                            Emitter emitter) {
    /** Adds initializers and nodes producing the float weight to {@code g}; returns the produced value's name. */
    @FunctionalInterface
    public interface Emitter {
        String emit(Graph g, String baseName);
    }
}
