package io.nnzip.lowrank;

import io.nnzip.engine.ValueType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.Map;

/**
 * A 2-D convolution that a factorization can rewrite: constant weight, group 1, explicit padding, known input
 * and output sizes. {@link #of} returns null with a reason when the node does not qualify.
 * <pre>x: (N,C,H,W), w: (K,C,R,S) -> y: (N,K,P,Q)</pre>
 */
public record ConvSite(Node node, String weightName, float[] w, String biasName, int k, int c, int r, int s,
                       int h, int wIn, int p, int q, long[] strides, long[] pads, long[] dilations) {

    public record Rejection(String reason) {}

    /** Returns a ConvSite, or a Rejection explaining why the node cannot be factorized. */
    public static Object of(Node n, Graph g, Map<String, ValueType> types) {
        if (!n.opType().equals("Conv")) return new Rejection("not a Conv");
        Tensor w = g.initializer(n.input(1));
        if (w == null) return new Rejection("weight is not a constant initializer");
        if (w.rank() != 4) return new Rejection("not a 2-D convolution");
        if (n.attrInt("group", 1) != 1) return new Rejection("grouped convolution");
        String ap = n.attrString("auto_pad", "NOTSET");
        if (!ap.equals("NOTSET") && !ap.equals("VALID")) return new Rejection("auto_pad=" + ap);
        if (n.hasInput(2) && g.initializer(n.input(2)) == null) return new Rejection("bias is not a constant");
        ValueType x = types.get(n.input(0)), y = types.get(n.output(0));
        if (x == null || y == null || !x.isConcrete() || !y.isConcrete()) return new Rejection("shapes unknown");
        long[] st = n.attrInts("strides", new long[] {1, 1});
        long[] pd = ap.equals("VALID") ? new long[4] : n.attrInts("pads", new long[4]);
        long[] dl = n.attrInts("dilations", new long[] {1, 1});
        return new ConvSite(n, n.input(1), w.toFloats(), n.hasInput(2) ? n.input(2) : null, w.dim(0), w.dim(1), w.dim(2), w.dim(3),
                x.shape()[2], x.shape()[3], y.shape()[2], y.shape()[3], st, pd, dl);
    }

    /** MACs per image of the original layer. */
    public long macs() { return (long) k * c * r * s * p * q; }

    public long params() { return (long) k * c * r * s; }

    /** Width of the intermediate map after a vertical-only pass (stride 1, no padding along W). */
    public int midWidth() { return wIn; }

    public String baseName() { return node.name().isEmpty() ? node.output(0) : node.name(); }
}
