package io.nnzip.quant.qdq;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.TopoSort;
import java.util.Set;

/**
 * Q/DQ placement for transformers: only the activation inputs of weight MatMul/Gemm (and, optionally, both
 * inputs of the attention MatMuls) are quantized, and no op output is. ONNX Runtime then turns each linear into
 * MatMulIntegerToFloat / QGemm with a float output, while everything between the linears stays float so its
 * float fusions survive (Gelu/BiasGelu, LayerNormalization, the scaled attention MatMul, SkipLayerNorm).
 * Quantizing the residual Adds, the GELU Muls or the outputs of Reshape/Transpose as the CNN placement does adds
 * a Q and a DQ per tensor and breaks those fusions: that was why int8 transformers ran slower than float.
 */
public final class LinearPlacement {
    private LinearPlacement() {}

    /** Whether the graph looks like a transformer: a Softmax and a MatMul with a weight initializer. */
    public static boolean isTransformer(Graph g) {
        boolean softmax = false, linear = false;
        for (Node n : g.nodes()) {
            softmax |= n.opType().equals("Softmax");
            linear |= n.opType().equals("MatMul") && g.isInitializer(n.input(1)) && g.initializer(n.input(1)).rank() == 2;
        }
        return softmax && linear;
    }

    /** Plans on {@code g}; {@code attention} also quantizes MatMuls between two activations. */
    public static QdqPlan plan(Graph g, Set<String> exclude, boolean attention) {
        TopoSort.sort(g);
        QdqPlan p = new QdqPlan(g);
        Set<String> floatValues = QdqPlanner.floatValues(g);
        for (Node n : g.nodes()) {
            if (exclude.contains(n.name()) || !QuantizableOps.WEIGHT_OPS.contains(n.opType())) continue;
            boolean weighted = g.isInitializer(n.input(1));
            if (!weighted && !(attention && n.opType().equals("MatMul"))) continue;
            if (n.opType().equals("Gemm") && n.attrInt("transA", 0) != 0) continue;
            for (int i : QuantizableOps.activationInputs(n, g))
                if (floatValues.contains(n.input(i)) && !g.isInitializer(n.input(i))) p.activations.add(n.input(i));
            if (weighted && p.activations.contains(n.input(0)) && g.initializer(n.input(1)).dtype() == DType.FLOAT
                    && QuantizableOps.weightChannelAxis(n) >= 0 && (n.opType().equals("Conv") || g.initializer(n.input(1)).rank() == 2))
                p.weightOps.add(n);
        }
        return p;
    }
}
