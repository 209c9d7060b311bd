package io.nnzip.quant.prep;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * Moves a per-input-channel factor s between an activation and the linear layers reading it: the layers' weights
 * get row k (input k) multiplied by s_k, the activation is divided by s, so the function is unchanged. The division
 * is folded into a LayerNorm's gamma and beta (LayerNormalization, or the Mul→Add ending a decomposed one) when
 * those layers are the only readers; otherwise, if allowed, a Mul by 1/s is inserted before them (AWQ, SmoothQuant).
 */
public final class InputScaling {
    public enum How { LAYERNORM, MUL, NONE }

    private InputScaling() {}

    /** Linear layers this can scale: MatMul with a 2-D [K, N] weight, or Gemm (transA 0) with a weight initializer. */
    public static boolean scalable(Graph g, Node n) {
        if (!g.isInitializer(n.input(1)) || g.isInitializer(n.input(0))) return false;
        return n.opType().equals("MatMul") && g.initializer(n.input(1)).rank() == 2
                || n.opType().equals("Gemm") && n.attrInt("transA", 0) == 0;
    }

    /** Applies s to {@code tensor} read by {@code layers} (all reading it as input 0); returns where 1/s went. */
    public static How apply(Graph g, String tensor, float[] s, List<Node> layers, boolean allowMul) {
        // Shape reads only the dimensions (attention code takes B, N, C from its input), which scaling keeps
        List<Node> readers = g.consumers().getOrDefault(tensor, List.of()).stream().filter(n -> !n.opType().equals("Shape")).toList();
        boolean only = new HashSet<>(layers).containsAll(readers) && !g.outputNames().contains(tensor);
        How how = only && foldIntoNorm(g, g.producers().get(tensor), s) ? How.LAYERNORM : allowMul ? How.MUL : How.NONE;
        if (how == How.NONE) return how;
        if (how == How.MUL) {
            float[] inv = new float[s.length];
            for (int i = 0; i < s.length; i++) inv[i] = 1 / s[i];
            String c = g.freshName(tensor + "_inv_scale");
            g.initializers().put(c, Tensor.of(inv, s.length));
            String out = g.freshName(tensor + "_scaled");
            Node mul = new Node(g.freshName(tensor + "_Mul_scale"), "Mul", new ArrayList<>(List.of(tensor, c)), new ArrayList<>(List.of(out)));
            g.nodes().add(g.nodes().indexOf(layers.get(0)), mul);
            for (Node l : layers) l.inputs().set(0, out);
        }
        for (Node l : layers) scaleWeightRows(g, l, s);
        io.nnzip.ir.TopoSort.sort(g);
        return how;
    }

    /** Multiplies input row k of the layer's weight by s_k (a fresh initializer; shared tensors are not touched). */
    static void scaleWeightRows(Graph g, Node l, float[] s) {
        Tensor w = g.initializer(l.input(1));
        float[] v = w.toFloats().clone();
        boolean transposed = l.opType().equals("Gemm") && l.attrInt("transB", 0) != 0;
        int k = s.length, n = v.length / k;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < n; j++) v[transposed ? j * k + i : i * n + j] *= s[i];
        String name = g.freshName(l.input(1) + "_scaled");
        g.initializers().put(name, Tensor.of(v, w.shape()));
        l.inputs().set(1, name);
    }

    private static boolean foldIntoNorm(Graph g, Node p, float[] s) {
        if (p == null) return false;
        if (p.opType().equals("LayerNormalization") && p.domain().isEmpty()) {
            if (!vector(g, p.input(1), s.length) || p.hasInput(2) && !vector(g, p.input(2), s.length)) return false;
            divide(g, p, 1, s);
            if (p.hasInput(2)) divide(g, p, 2, s);
            return true;
        }
        // a decomposed LayerNorm ends in Add(Mul(normalized, gamma), beta)
        if (!p.opType().equals("Add")) return false;
        int bi = vector(g, p.input(1), s.length) ? 1 : vector(g, p.input(0), s.length) ? 0 : -1;
        if (bi < 0) return false;
        Node mul = g.producers().get(p.input(1 - bi));
        if (mul == null || !mul.opType().equals("Mul") || g.consumers().getOrDefault(mul.output(0), List.of()).size() != 1) return false;
        int gi = vector(g, mul.input(1), s.length) ? 1 : vector(g, mul.input(0), s.length) ? 0 : -1;
        if (gi < 0) return false;
        divide(g, mul, gi, s);
        divide(g, p, bi, s);
        return true;
    }

    private static boolean vector(Graph g, String name, int k) {
        Tensor t = g.initializer(name);
        return t != null && t.size() == k && t.dim(-1) == k && t.dtype() == io.nnzip.ir.DType.FLOAT;
    }

    private static void divide(Graph g, Node n, int input, float[] s) {
        Tensor t = g.initializer(n.input(input));
        float[] v = t.toFloats().clone();
        for (int i = 0; i < v.length; i++) v[i] /= s[i];
        String name = g.freshName(n.input(input) + "_scaled");
        g.initializers().put(name, Tensor.of(v, t.shape()));
        n.inputs().set(input, name);
    }

    /** Weight matrices of {@code layers} as rows = outputs × cols = inputs (for searching s). */
    public static List<float[]> rowsByInput(Graph g, List<Node> layers, int k, Map<Node, Integer> outRows) {
        List<float[]> out = new ArrayList<>();
        for (Node l : layers) {
            float[] v = g.initializer(l.input(1)).toFloats();
            boolean transposed = l.opType().equals("Gemm") && l.attrInt("transB", 0) != 0;
            int n = v.length / k;
            float[] m = new float[v.length];
            for (int i = 0; i < k; i++) for (int j = 0; j < n; j++) m[j * k + i] = v[transposed ? j * k + i : i * n + j];
            out.add(m);
            outRows.put(l, n);
        }
        return out;
    }
}
