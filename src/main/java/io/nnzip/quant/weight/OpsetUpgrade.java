package io.nnzip.quant.weight;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.Set;

/**
 * Raises a model from opset 13..20 to 21, which int4/uint4 storage needs. Between 13 and 21 only the Reduce*
 * family changed how it is written (axes moved from an attribute to an input at 18); every other op a
 * compressed CNN uses kept its meaning. Graphs with ops outside the checked set are left alone.
 */
public final class OpsetUpgrade {
    static final Set<String> REDUCE = Set.of("ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
            "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");
    /** Ops whose opset-21 form reads opset-13 nodes unchanged. */
    static final Set<String> UNCHANGED = Set.of("Conv", "Gemm", "MatMul", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
            "Add", "Sub", "Mul", "Div", "Concat", "Flatten", "Reshape", "Transpose", "Shape", "Gather", "Unsqueeze", "Squeeze",
            "Softmax", "LogSoftmax", "Sigmoid", "Tanh", "BatchNormalization", "Identity", "Split", "Slice", "ReduceSum",
            "DequantizeLinear", "QuantizeLinear", "Cast", "Constant", "LeakyRelu", "Dropout", "Pad", "Sqrt", "Pow", "Exp");

    private OpsetUpgrade() {}

    public static boolean canUpgrade(Model m) {
        if (m.opset() >= 21) return true;
        if (m.opset() < 13) return false;
        for (Node n : m.graph().nodes()) if (!n.domain().isEmpty() || !UNCHANGED.contains(n.opType()) && !REDUCE.contains(n.opType())) return false;
        return true;
    }

    /** Upgrades in place (call {@link #canUpgrade} first); also raises the IR version to 10, the first with int4. */
    public static void to21(Model m) {
        if (m.opset() < 21) {
            for (Node n : m.graph().nodes()) {
                if (!REDUCE.contains(n.opType()) || m.opset() >= 18) continue;
                Attribute axes = n.attributes().remove("axes");
                if (axes != null) {
                    String name = m.graph().freshName(n.output(0) + "_axes");
                    m.graph().initializers().put(name, Tensor.vector((long[]) axes.value()));
                    while (n.inputs().size() < 2) n.inputs().add("");
                    n.inputs().set(1, name);
                }
            }
            m.opsets().put("", 21L);
        }
        if (m.irVersion() < 10) m.setIrVersion(10);
    }
}
