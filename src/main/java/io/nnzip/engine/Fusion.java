package io.nnzip.engine;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inference-time graph fusion for the engine: folds a BatchNormalization into the Conv before it (new weights and
 * bias, still a plain ONNX Conv), and marks a Conv or Gemm to apply a following Relu, and a Conv to apply a
 * following unpadded MaxPool, inside its own kernel, so the large intermediate activations are never written out.
 * <p>The result is for {@link Executor} only: the marks are engine-private attributes ({@link #RELU},
 * {@link #MAXPOOL}) that ONNX Runtime would reject, and the fused-away intermediates no longer exist (listeners and
 * {@code keep} lists that need them must run the unfused model). Graph outputs are never fused away.
 */
public final class Fusion {
    /** INT 1: apply max(0, y) to the node's output. */
    public static final String RELU = "nnzip_relu";
    /** INTS [kh, kw, sh, sw]: max-pool the (already activated) output with this window and stride, no padding. */
    public static final String MAXPOOL = "nnzip_maxpool";

    private Fusion() {}

    /** A fused copy of the model (the input is not modified). */
    public static Model forInference(Model m) {
        Model out = new Model(m.graph().copy());
        out.opsets().clear();
        out.opsets().putAll(m.opsets());
        out.setIrVersion(m.irVersion());
        // exporters compute reshape targets and attention's 1/√d from Shape at run time; folded to constants, the
        // transformer patterns below see them, and the shape arithmetic that reads only static dims no longer runs
        Canonical.apply(out);
        Graph g = out.graph();
        BinaryLowering.apply(g, m.opset());
        TransformerFusion.apply(g, m.opset());
        apply(g);
        BinaryLowering.chain(g, m.opset());
        return out;
    }

    /** Fuses in place; returns the number of nodes removed. */
    public static int apply(Graph g) {
        int removed = 0;
        boolean changed = true;
        while (changed) {
            changed = false;
            Map<String, List<Node>> consumers = g.consumers();
            Set<String> outputs = new HashSet<>(g.outputNames());
            for (Node n : g.nodes()) {
                if (!(n.opType().equals("Conv") || n.opType().equals("Gemm") || n.opType().equals(io.nnzip.engine.ops.BinaryOps.OP))
                        || !n.domain().isEmpty() || n.outputs().size() != 1) continue;
                String y = n.output(0);
                List<Node> readers = consumers.get(y);
                if (outputs.contains(y) || readers == null || readers.size() != 1) continue;
                Node next = readers.get(0);
                if (!next.domain().isEmpty() || !next.input(0).equals(y) || countReads(next, y) != 1) continue;
                boolean fused = switch (next.opType()) {
                    case "BatchNormalization" -> n.opType().equals("Conv") && foldBatchNorm(g, n, next);
                    case "Relu" -> markRelu(n);
                    case "MaxPool" -> (n.opType().equals("Conv") || n.opType().equals(io.nnzip.engine.ops.BinaryOps.OP) && n.attrInt(io.nnzip.engine.ops.BinaryOps.GEMM, 0) == 0)
                            && markPool(g, n, next);
                    default -> false;
                };
                if (fused) {
                    n.outputs().set(0, next.output(0));
                    g.nodes().remove(next);
                    removed++;
                    changed = true;
                    break;
                }
            }
        }
        if (removed > 0) g.removeUnusedInitializers();
        return removed;
    }

    private static int countReads(Node n, String v) {
        int c = 0;
        for (String i : n.inputs()) if (i.equals(v)) c++;
        return c;
    }

    private static boolean markRelu(Node n) {
        if (n.has(RELU)) return false;
        n.set(Attribute.of(RELU, 1L));
        return true;
    }

    // MaxPool over the conv's 2-D output: one output, no padding, no dilation, floor rounding
    private static boolean markPool(Graph g, Node conv, Node pool) {
        if (conv.has(MAXPOOL) || pool.outputs().size() != 1 && !pool.output(1).isEmpty()) return false;
        Tensor w = g.initializer(conv.input(1));
        if (w == null || w.rank() != 4) return false;
        long[] k = pool.attrInts("kernel_shape", null);
        if (k == null || k.length != 2 || pool.attrInt("ceil_mode", 0) != 0 || pool.attrInt("storage_order", 0) != 0) return false;
        String autoPad = pool.attrString("auto_pad", "NOTSET");
        if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) return false;
        long[] pads = pool.attrInts("pads", null), dil = pool.attrInts("dilations", null);
        if (pads != null) for (long p : pads) if (p != 0) return false;
        if (dil != null) for (long d : dil) if (d != 1) return false;
        long[] s = pool.attrInts("strides", new long[] {1, 1});
        conv.set(Attribute.of(MAXPOOL, k[0], k[1], s[0], s[1]));
        return true;
    }

    /**
     * y = gamma·(conv(x) - mean)/sqrt(var + eps) + beta  ==  conv'(x) with w' = w·s, b' = (b - mean)·s + beta: gives
     * {@code conv} the folded weight and bias when every parameter is a float constant; the caller then lets the
     * conv produce the BN's output and removes the BN. The one BatchNorm folding (inference fusion, quantization).
     */
    public static boolean foldBatchNorm(Graph g, Node conv, Node bn) {
        if (conv.has(RELU) || conv.has(MAXPOOL) || bn.outputs().size() > 1 && bn.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty())) return false;
        if (bn.attrInt("training_mode", 0) != 0) return false;
        Tensor w = g.initializer(conv.input(1));
        Tensor b = conv.hasInput(2) ? g.initializer(conv.input(2)) : null;
        if (w == null || w.dtype() != io.nnzip.ir.DType.FLOAT || conv.hasInput(2) && b == null) return false;
        Tensor[] p = new Tensor[4];
        for (int i = 0; i < 4; i++) {
            p[i] = bn.hasInput(i + 1) ? g.initializer(bn.input(i + 1)) : null;
            if (p[i] == null || p[i].dtype() != io.nnzip.ir.DType.FLOAT) return false;
        }
        int k = w.dim(0), per = w.size() / k;
        for (Tensor t : p) if (t.size() != k) return false;
        if (b != null && (b.dtype() != io.nnzip.ir.DType.FLOAT || b.size() != k)) return false;
        float eps = bn.attrFloat("epsilon", 1e-5f);
        float[] gamma = p[0].floats(), beta = p[1].floats(), mean = p[2].floats(), var = p[3].floats(), wv = w.floats();
        float[] w2 = new float[wv.length], b2 = new float[k];
        for (int o = 0; o < k; o++) {
            double s = gamma[o] / Math.sqrt((double) var[o] + eps);
            for (int i = 0; i < per; i++) w2[o * per + i] = (float) (wv[o * per + i] * s);
            b2[o] = (float) (((b == null ? 0 : b.floats()[o]) - mean[o]) * s + beta[o]);
        }
        String wName = g.freshName(conv.input(1) + "_bnfold"), bName = g.freshName(conv.name() + "_bias_bnfold");
        g.initializers().put(wName, Tensor.of(w2, w.shape()));
        g.initializers().put(bName, Tensor.of(b2, k));
        conv.inputs().set(1, wName);
        if (conv.inputs().size() > 2) conv.inputs().set(2, bName);
        else conv.inputs().add(bName);
        return true;
    }
}
