package io.nnzip.quant.qdq;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.TopoSort;
import io.nnzip.ir.ValueInfo;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides Q/DQ placement for static int8 PTQ so that ORT fuses whole integer chains: every activation input of
 * a quantizable op is quantized once (one Q/DQ pair per tensor, shared by all readers), outputs of ops with
 * integer kernels are quantized so the chain closes, and data-movement ops share their input's scale. With
 * asymmetric activations, a ReLU/ReLU6 that is its producer's only reader is removed: the uint8 output range
 * [0, max] clips exactly as the activation would, and ORT then sees Conv directly followed by Q.
 */
public final class QdqPlanner {
    private QdqPlanner() {}

    /**
     * Dense convolutions reading fewer values per output than this stay float: with a reduction depth like the
     * 1×3×3 of a first layer on grey images, ORT's int8 kernels pad and reorder more than they compute, and
     * the float kernel is faster (measured on the Fashion-MNIST CNN). Depthwise convs have their own int8 kernel.
     */
    public static final int MIN_INT8_DEPTH = 16;

    /** Convs that {@link #MIN_INT8_DEPTH} keeps float. */
    public static Set<String> shallowConvs(Graph g) {
        Set<String> s = new java.util.LinkedHashSet<>();
        for (Node n : g.nodes())
            if (n.opType().equals("Conv") && n.attrInt("group", 1) == 1 && g.isInitializer(n.input(1))) {
                io.nnzip.ir.Tensor w = g.initializer(n.input(1));
                if (w.size() / w.dim(0) < MIN_INT8_DEPTH) s.add(n.name());
            }
        return s;
    }

    /** Plans on {@code g} (edited in place: fused activations are removed). {@code exclude} holds node names kept float. */
    public static QdqPlan plan(Graph g, Set<String> exclude, boolean fuseActivations) {
        TopoSort.sort(g);
        QdqPlan p = new QdqPlan(g);
        if (fuseActivations) fuse(g, exclude, p);
        Set<String> floatValues = floatValues(g);
        for (Node n : g.nodes()) {
            // data-movement ops carry quantization along a chain but never start one
            if (exclude.contains(n.name()) || QuantizableOps.SAME_SCALE.contains(n.opType())) continue;
            for (int i : QuantizableOps.activationInputs(n, g)) {
                String t = n.input(i);
                if (floatValues.contains(t) && !g.isInitializer(t)) p.activations.add(t);
            }
        }
        for (Node n : g.nodes()) {
            if (exclude.contains(n.name()) || !QuantizableOps.quantizesOutput(n.opType())) continue;
            if (QuantizableOps.activationInputs(n, g).isEmpty()) continue;
            String in = n.input(0), out = n.output(0);
            boolean inputQuantized = true;
            for (int i : QuantizableOps.activationInputs(n, g)) inputQuantized &= p.activations.contains(n.input(i));
            if (!inputQuantized) continue;
            p.activations.add(out);
            if (QuantizableOps.SAME_SCALE.contains(n.opType())) p.sameScaleAs.put(out, in);
        }
        // a weight op whose output feeds another quantized op already gets its Q from the reader's side
        for (Node n : g.nodes())
            if (!exclude.contains(n.name()) && QuantizableOps.WEIGHT_OPS.contains(n.opType()) && g.isInitializer(n.input(1))
                    && p.activations.contains(n.input(0)) && g.initializer(n.input(1)).dtype() == DType.FLOAT
                    && QuantizableOps.weightChannelAxis(n) >= 0 && (!n.opType().equals("Gemm") || n.attrInt("transA", 0) == 0))
                p.weightOps.add(n);
        // values nobody reads as an activation and no quantized op produces stay float
        p.activations.removeIf(t -> !floatValues.contains(t));
        return p;
    }

    /** Removes Relu / Clip(0, hi) that are the sole reader of a Conv/Gemm/MatMul/Add output. */
    static void fuse(Graph g, Set<String> exclude, QdqPlan p) {
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Node> producers = g.producers();
        Set<Node> remove = new HashSet<>();
        for (Node act : g.nodes()) {
            if (!QuantizableOps.FUSABLE_ACTIVATION.contains(act.opType()) || exclude.contains(act.name())) continue;
            if (act.opType().equals("Clip") && !(act.hasInput(1) && g.isInitializer(act.input(1)) && g.initializer(act.input(1)).getDouble(0) == 0)) continue;
            Node prod = producers.get(act.input(0));
            if (prod == null || exclude.contains(prod.name()) || !QuantizableOps.FUSE_INTO.contains(prod.opType())) continue;
            if (consumers.getOrDefault(act.input(0), List.of()).size() != 1 || g.outputNames().contains(act.input(0))) continue;
            prod.outputs().set(0, act.output(0));
            remove.add(act);
            p.fusedActivations.add(act.name().isEmpty() ? act.output(0) : act.name());
        }
        g.nodes().removeAll(remove);
    }

    /** Names of float-typed values: graph inputs declared float and outputs of ops that compute on floats. */
    static Set<String> floatValues(Graph g) {
        Set<String> f = new HashSet<>();
        for (ValueInfo v : g.inputs()) if (v.dtype() == null || v.dtype() == DType.FLOAT) f.add(v.name());
        for (Node n : g.nodes()) {
            boolean nonFloat = switch (n.opType()) {
                case "Shape", "Size", "ArgMax", "ArgMin", "NonZero", "Equal", "Less", "Greater", "Not", "And", "Or", "Cast", "ConstantOfShape", "Range", "TopK" -> true;
                default -> false;
            };
            if (nonFloat) continue;
            // an op fed only by non-float values (e.g. Gather/Concat/Unsqueeze on shapes) is non-float too
            boolean anyFloat = false;
            for (String in : n.inputs())
                if (f.contains(in) || g.isInitializer(in) && g.initializer(in).dtype() == DType.FLOAT) anyFloat = true;
            if (n.opType().equals("Reshape") || n.opType().equals("Gather") || n.opType().equals("Unsqueeze") || n.opType().equals("Squeeze")
                    || n.opType().equals("Concat") || n.opType().equals("Slice") || n.opType().equals("Transpose") || n.opType().equals("Flatten"))
                anyFloat = f.contains(n.input(0)) || g.isInitializer(n.input(0)) && g.initializer(n.input(0)).dtype() == DType.FLOAT;
            if (anyFloat) f.addAll(n.outputs());
        }
        return f;
    }
}
