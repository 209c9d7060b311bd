package io.nnzip.quant.prep;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Cross-layer equalization (Nagel et al., "Data-Free Quantization", 2019). For two convolutions joined through a
 * positively homogeneous activation (ReLU: relu(x/s) = relu(x)/s for s > 0), output channel i of the first can be
 * divided by s_i and input channel i of the second multiplied by s_i without changing the function. Choosing
 * s_i = √(r1_i / r2_i) (r = per-channel max |w|) gives both layers the same per-channel ranges, which is what
 * per-tensor-friendly depthwise layers need. ReLU6 (Clip 0..6) is not homogeneous; as in the paper it is replaced
 * by ReLU in equalized pairs, and the count of such replacements is reported.
 */
public final class CrossLayerEqualizer {
    public record Result(int pairs, int relu6Replaced, int rounds) {}

    private CrossLayerEqualizer() {}

    public static Result equalize(Graph g, int rounds) {
        List<Node[]> pairs = pairs(g);
        int relu6 = 0;
        for (Node[] p : pairs)
            if (p[1] != null && p[1].opType().equals("Clip")) {
                p[1].setOpType("Relu");
                p[1].inputs().subList(1, p[1].inputs().size()).clear();
                relu6++;
            }
        for (int r = 0; r < rounds; r++) for (Node[] p : pairs) scale(g, p[0], p[2]);
        g.removeUnusedInitializers();
        return new Result(pairs.size(), relu6, rounds);
    }

    /** (conv1, activation or null, conv2) chains where conv1's output has exactly one path into conv2. */
    static List<Node[]> pairs(Graph g) {
        Map<String, List<Node>> consumers = g.consumers();
        List<Node[]> out = new ArrayList<>();
        for (Node c1 : g.nodes()) {
            if (!c1.opType().equals("Conv") || !g.isInitializer(c1.input(1))) continue;
            List<Node> next = consumers.getOrDefault(c1.output(0), List.of());
            if (next.size() != 1 || g.outputNames().contains(c1.output(0))) continue;
            Node act = null, c2 = next.get(0);
            if (isRelu(g, c2)) {
                act = c2;
                List<Node> after = consumers.getOrDefault(act.output(0), List.of());
                if (after.size() != 1 || g.outputNames().contains(act.output(0))) continue;
                c2 = after.get(0);
            }
            if (!c2.opType().equals("Conv") || !c2.input(0).equals(act == null ? c1.output(0) : act.output(0)) || !g.isInitializer(c2.input(1))) continue;
            if (c1.hasInput(2) && !g.isInitializer(c1.input(2))) continue;
            int k1 = g.initializer(c1.input(1)).dim(0);
            Tensor w2 = g.initializer(c2.input(1));
            long group = c2.attrInt("group", 1);
            boolean depthwise = group == k1 && w2.dim(1) == 1 && w2.dim(0) == k1;
            if (group != 1 && !depthwise) continue;
            out.add(new Node[] {c1, act, c2});
        }
        return out;
    }

    static boolean isRelu(Graph g, Node n) {
        if (n.opType().equals("Relu")) return true;
        if (!n.opType().equals("Clip") || !n.hasInput(1) || !g.isInitializer(n.input(1))) return false;
        return g.initializer(n.input(1)).getDouble(0) == 0;
    }

    static void scale(Graph g, Node c1, Node c2) {
        Tensor w1 = g.initializer(c1.input(1)), w2 = g.initializer(c2.input(1));
        int k = w1.dim(0), per1 = w1.size() / k;
        boolean depthwise = c2.attrInt("group", 1) != 1;
        float[] a = w1.toFloats().clone(), b = w2.toFloats().clone();
        float[] bias = c1.hasInput(2) ? g.initializer(c1.input(2)).toFloats().clone() : null;
        int k2 = w2.dim(0), cin2 = w2.dim(1), rs2 = w2.size() / (k2 * cin2);
        for (int i = 0; i < k; i++) {
            double r1 = 0, r2 = 0;
            for (int j = 0; j < per1; j++) r1 = Math.max(r1, Math.abs(a[i * per1 + j]));
            if (depthwise) for (int j = 0; j < rs2; j++) r2 = Math.max(r2, Math.abs(b[i * rs2 + j]));
            else for (int o = 0; o < k2; o++) for (int j = 0; j < rs2; j++) r2 = Math.max(r2, Math.abs(b[(o * cin2 + i) * rs2 + j]));
            if (r1 == 0 || r2 == 0) continue;
            float s = (float) Math.sqrt(r1 / r2);
            for (int j = 0; j < per1; j++) a[i * per1 + j] /= s;
            if (bias != null) bias[i] /= s;
            if (depthwise) for (int j = 0; j < rs2; j++) b[i * rs2 + j] *= s;
            else for (int o = 0; o < k2; o++) for (int j = 0; j < rs2; j++) b[(o * cin2 + i) * rs2 + j] *= s;
        }
        c1.inputs().set(1, put(g, c1.input(1), Tensor.of(a, w1.shape())));
        if (bias != null) c1.inputs().set(2, put(g, c1.input(2), Tensor.of(bias, bias.length)));
        c2.inputs().set(1, put(g, c2.input(1), Tensor.of(b, w2.shape())));
    }

    /** Writes over a tensor this pass made earlier; never over an original (another node may share it). */
    private static String put(Graph g, String current, Tensor t) {
        String n = current.endsWith("_cle") ? current : g.freshName(current + "_cle");
        g.initializers().put(n, t);
        return n;
    }
}
