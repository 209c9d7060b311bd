package io.nnzip.quant.qdq;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import java.util.List;
import java.util.Set;

/**
 * Which ops take part in an integer chain, following the node groups ONNX Runtime's QDQ transformer fuses on
 * CPU: weight ops (Conv, Gemm, MatMul → QLinearConv / QGemm / QLinearMatMul), ops with their own integer kernels
 * (Add, Mul, Concat, average pools → QLinear*), and data-movement ops that run on integers unchanged when the
 * Q/DQ around them share one scale (MaxPool, Reshape, ...; ORT drops their Q/DQ pair).
 */
public final class QuantizableOps {
    private QuantizableOps() {}

    static final Set<String> WEIGHT_OPS = Set.of("Conv", "Gemm", "MatMul");
    static final Set<String> OWN_KERNEL = Set.of("Add", "Mul", "Concat", "GlobalAveragePool", "AveragePool");
    static final Set<String> SAME_SCALE = Set.of("MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity");
    /** Activations that disappear into the producer's output range when activations are asymmetric. */
    static final Set<String> FUSABLE_ACTIVATION = Set.of("Relu", "Clip");
    static final Set<String> FUSE_INTO = Set.of("Conv", "Gemm", "MatMul", "Add");

    /** Input positions of {@code n} that read activations to be quantized (empty when the op is not quantized). */
    static List<Integer> activationInputs(Node n, Graph g) {
        String op = n.opType();
        if (op.equals("Conv") || op.equals("Gemm")) return List.of(0);
        if (op.equals("MatMul")) return g.isInitializer(n.input(1)) ? List.of(0) : List.of(0, 1);
        if (op.equals("Add") || op.equals("Mul")) {
            // the integer kernels need both operands quantized; a constant operand keeps the op in float
            return g.isInitializer(n.input(0)) || g.isInitializer(n.input(1)) ? List.of() : List.of(0, 1);
        }
        if (op.equals("Concat")) {
            java.util.ArrayList<Integer> all = new java.util.ArrayList<>();
            for (int i = 0; i < n.inputs().size(); i++) if (!g.isInitializer(n.input(i))) all.add(i);
            return all.size() == n.inputs().size() ? all : List.of();
        }
        if (OWN_KERNEL.contains(op) || SAME_SCALE.contains(op)) return List.of(0);
        return List.of();
    }

    /** Whether the op's output is quantized whenever the op itself is (so ORT finds the closing Q). */
    static boolean quantizesOutput(String op) { return op.equals("Conv") || OWN_KERNEL.contains(op) || SAME_SCALE.contains(op); }

    /** Axis of a weight's output channels (per-channel scales run along it), or -1 when unsupported. */
    static int weightChannelAxis(Node n) {
        return switch (n.opType()) {
            case "Conv" -> 0;
            case "Gemm" -> n.attrInt("transB", 0) != 0 ? 0 : 1;
            case "MatMul" -> 1;
            default -> -1;
        };
    }
}
