package io.nnzip.engine.autodiff;

import io.nnzip.engine.autodiff.kernels.ActivationBackward;
import io.nnzip.engine.autodiff.kernels.AttentionBackward;
import io.nnzip.engine.autodiff.kernels.BatchNormTraining;
import io.nnzip.engine.autodiff.kernels.Broadcasts;
import io.nnzip.engine.autodiff.kernels.ConvAttrs;
import io.nnzip.engine.autodiff.kernels.ConvBackward;
import io.nnzip.engine.autodiff.kernels.LayerNormBackward;
import io.nnzip.engine.autodiff.kernels.MatMulBackward;
import io.nnzip.engine.autodiff.kernels.MaxPoolTraining;
import io.nnzip.engine.autodiff.kernels.Permute;
import io.nnzip.engine.autodiff.kernels.PoolBackward;
import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.engine.ops.support.Axes;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The one table of backward rules, op type → rule. Each rule is a few lines that pick shapes and attributes off
 * the node and call a backward kernel. Ops absent from this table have no gradient: a trainable path through
 * one is an error (see {@link Backprop}).
 */
public final class GradRules {
    private static final Map<String, GradRule> RULES = new TreeMap<>();

    private GradRules() {}

    public static boolean has(String op) { return RULES.containsKey(op); }

    public static GradRule get(String op) { return RULES.get(op); }

    public static Set<String> ops() { return java.util.Collections.unmodifiableSet(RULES.keySet()); }

    private static void rule(String op, GradRule r) { RULES.put(op, r); }

    static {
        // ---- linear algebra ----
        rule("Conv", s -> {
            ConvGeometry g = ConvAttrs.conv(s.node(), s.in(0).shape(), s.in(1).shape());
            float[] dx = s.need(0) ? s.gradBuffer(0, false) : null, dw = s.need(1) ? s.gradBuffer(1, false) : null;
            float[] db = s.need(2) ? s.gradBuffer(2, false) : null;
            ConvBackward.run(g, s.x(0), s.x(1), s.dy(), dx, dw, db, s.par(), s.pool());
            return new Tensor[] {dx == null ? null : s.like(0, dx), dw == null ? null : s.like(1, dw), db == null ? null : s.like(2, db)};
        });
        rule("Gemm", s -> {
            boolean ta = s.node().attrInt("transA", 0) != 0, tb = s.node().attrInt("transB", 0) != 0;
            float alpha = s.node().attrFloat("alpha", 1f), beta = s.node().attrFloat("beta", 1f);
            int m = s.out(0).dim(0), n = s.out(0).dim(1), k = s.in(0).dim(ta ? 0 : 1);
            Tensor[] r = new Tensor[s.in().length];
            if (s.need(0)) {
                float[] da = s.gradBuffer(0, false);
                MatMulBackward.gradA(ta, tb, m, n, k, alpha, s.x(1), 0, s.dy(), 0, da, 0, 0f, s.par());
                r[0] = s.like(0, da);
            }
            if (s.need(1)) {
                float[] db = s.gradBuffer(1, false);
                MatMulBackward.gradB(ta, tb, m, n, k, alpha, s.x(0), 0, s.dy(), 0, db, 0, 0f, s.par());
                r[1] = s.like(1, db);
            }
            if (s.need(2)) r[2] = s.like(2, ActivationBackward.scale(Broadcasts.reduceTo(s.dy(), s.out(0).shape(), s.in(2).shape()), beta));
            return r;
        });
        rule("MatMul", MatMulRule::backward);
        // AdderNet: full-precision ∂y/∂w = x − w, HardTanh-clipped ∂y/∂x = HT(w − x) (see AdderConv2d)
        rule(io.nnzip.engine.ops.AdderOps.OP, s -> adder(s, ConvAttrs.conv(s.node(), s.in(0).shape(), s.in(1).shape())));

        // ---- elementwise arithmetic (with broadcasting) ----
        rule("Add", s -> binary(s, s.dy(), s.dy()));
        rule("Sub", s -> binary(s, s.dy(), ActivationBackward.scale(s.dy(), -1f)));
        rule("Mul", s -> {
            int[] o = s.out(0).shape();
            return binary(s, s.need(0) ? ActivationBackward.mul(s.dy(), Broadcasts.expand(s.x(1), s.in(1).shape(), o)) : null,
                    s.need(1) ? ActivationBackward.mul(s.dy(), Broadcasts.expand(s.x(0), s.in(0).shape(), o)) : null);
        });
        rule("Div", s -> {
            float[] b = Broadcasts.expand(s.x(1), s.in(1).shape(), s.out(0).shape());
            return binary(s, s.need(0) ? ActivationBackward.div(s.dy(), b) : null,
                    s.need(1) ? ActivationBackward.divDenominator(s.dy(), s.y(), b) : null);
        });
        rule("Neg", s -> s.only(ActivationBackward.scale(s.dy(), -1f)));
        rule("Pow", s -> {
            int[] o = s.out(0).shape();
            float[] a = Broadcasts.expand(s.x(0), s.in(0).shape(), o), b = Broadcasts.expand(s.x(1), s.in(1).shape(), o);
            return binary(s, s.need(0) ? ActivationBackward.powBase(s.dy(), a, b) : null,
                    s.need(1) ? ActivationBackward.powExponent(s.dy(), s.y(), a) : null);
        });
        rule("Sqrt", s -> s.only(ActivationBackward.sqrt(s.dy(), s.y())));
        rule("Exp", s -> s.only(ActivationBackward.mul(s.dy(), s.y())));
        rule("Log", s -> s.only(ActivationBackward.div(s.dy(), s.x(0))));
        rule("Reciprocal", s -> s.only(ActivationBackward.scale(ActivationBackward.mul(s.dy(), ActivationBackward.mul(s.y(), s.y())), -1f)));
        rule("Where", s -> {
            int[] o = s.out(0).shape();
            byte[] c = s.in(0).bytes();
            float[] keep = new float[c.length];
            for (int i = 0; i < c.length; i++) keep[i] = c[i] != 0 ? 1f : 0f;
            float[] m = Broadcasts.expand(keep, s.in(0).shape(), o), dy = s.dy(), ga = new float[dy.length], gb = new float[dy.length];
            for (int i = 0; i < dy.length; i++) {
                ga[i] = m[i] * dy[i];
                gb[i] = dy[i] - ga[i];
            }
            Tensor[] r = new Tensor[3];
            if (s.need(1)) r[1] = s.like(1, Broadcasts.reduceTo(ga, o, s.in(1).shape()));
            if (s.need(2)) r[2] = s.like(2, Broadcasts.reduceTo(gb, o, s.in(2).shape()));
            return r;
        });
        rule("ReduceMean", s -> reduce(s, true));
        rule("ReduceSum", s -> reduce(s, false));
        rule("Sum", s -> {
            Tensor[] r = new Tensor[s.in().length];
            for (int i = 0; i < r.length; i++) if (s.need(i)) r[i] = s.like(i, Broadcasts.reduceTo(s.dy(), s.out(0).shape(), s.in(i).shape()));
            return r;
        });

        // ---- activations ----
        rule("Relu", s -> s.only(ActivationBackward.relu(s.dy(), s.y(), s.gradBuffer(0, false), s.par())));
        rule("LeakyRelu", s -> s.only(ActivationBackward.leakyRelu(s.dy(), s.x(0), s.node().attrFloat("alpha", 0.01f))));
        rule("Clip", s -> {
            float lo, hi;
            if (s.opset() < 11) {
                lo = s.node().attrFloat("min", -Float.MAX_VALUE);
                hi = s.node().attrFloat("max", Float.MAX_VALUE);
            } else {
                lo = s.in(1) == null ? Float.NEGATIVE_INFINITY : s.x(1)[0];
                hi = s.in(2) == null ? Float.POSITIVE_INFINITY : s.x(2)[0];
            }
            return s.only(ActivationBackward.clip(s.dy(), s.x(0), lo, hi));
        });
        rule("Sigmoid", s -> s.only(ActivationBackward.sigmoid(s.dy(), s.y())));
        rule("Tanh", s -> s.only(ActivationBackward.tanh(s.dy(), s.y())));
        rule("Erf", s -> s.only(ActivationBackward.erf(s.dy(), s.x(0))));
        rule("Gelu", s -> {
            if (!s.node().attrString("approximate", "none").equals("none")) throw unsupported(s, "no gradient for the tanh-approximated Gelu");
            return s.only(ActivationBackward.gelu(s.dy(), s.x(0), s.gradBuffer(0, false), s.par()));
        });
        rule(io.nnzip.engine.ops.AttentionOps.OP, GradRules::attention);
        rule("Softmax", s -> softmax(s, false));
        rule("LogSoftmax", s -> softmax(s, true));

        // ---- normalization, dropout ----
        rule("BatchNormalization", s -> {
            int[] sh = s.in(0).shape();
            int n = sh[0], c = sh[1], l = Shapes.product(sh, 2, sh.length);
            float[] dx = s.need(0) ? s.gradBuffer(0, false) : null, ds = s.need(1) ? new float[c] : null, db = s.need(2) ? new float[c] : null;
            if (s.saved() instanceof BatchNormTraining.Saved st)
                BatchNormTraining.backward(s.x(0), s.x(1), st, s.dy(), n, c, l, dx, ds, db, s.par());
            else
                BatchNormTraining.backwardFrozen(s.x(0), s.x(1), s.x(3), s.x(4), s.node().attrFloat("epsilon", 1e-5f), s.dy(), n, c, l, dx, ds, db);
            return new Tensor[] {dx == null ? null : s.like(0, dx), ds == null ? null : s.like(1, ds), db == null ? null : s.like(2, db), null, null};
        });
        rule("Dropout", s -> s.only(s.saved() instanceof float[] mask ? ActivationBackward.mul(s.dy(), mask) : s.dy()));
        rule("Identity", s -> s.only(s.dy()));
        rule("LayerNormalization", GradRules::layerNorm);
        rule(io.nnzip.engine.ops.FakeQuantOps.OP, FakeQuantRule::backward);
        rule(io.nnzip.engine.ops.BinaryOps.BINARIZE, BinarizeRule::backward);
        rule(io.nnzip.engine.ops.OneHotOps.OP, OneHotRule::backward);

        // ---- pooling ----
        rule("MaxPool", s -> {
            int[] o = s.out(0).shape();
            if (s.saved() instanceof int[] argmax)
                return s.only(MaxPoolTraining.backward(argmax, s.dy(), s.gradBuffer(0, false), o[0] * o[1], s.in(0).size() / (o[0] * o[1]), s.out(0).size() / (o[0] * o[1]), s.par()));
            ConvGeometry g = ConvAttrs.pool(s.node(), s.in(0).shape());
            return s.only(PoolBackward.max(window(g), s.x(0), s.dy(), g.n() * g.c(), g.h(), g.w(), o.length == 4 ? o[2] : 1, o[o.length - 1], s.par()));
        });
        rule("AveragePool", s -> {
            ConvGeometry g = ConvAttrs.pool(s.node(), s.in(0).shape());
            int[] o = s.out(0).shape();
            boolean countPad = s.node().attrInt("count_include_pad", 0) != 0;
            return s.only(PoolBackward.average(window(g), s.dy(), g.n() * g.c(), g.h(), g.w(), o.length == 4 ? o[2] : 1, o[o.length - 1], countPad, s.par()));
        });
        rule("GlobalAveragePool", s -> {
            int[] sh = s.in(0).shape();
            return s.only(PoolBackward.globalAverage(s.dy(), sh[0] * sh[1], Shapes.product(sh, 2, sh.length)));
        });

        // ---- shape movement: the gradient is dy laid out in the input's shape ----
        for (String op : new String[] {"Flatten", "Reshape", "Squeeze", "Unsqueeze"}) rule(op, s -> s.only(s.dy()));
        // a float-to-float Cast (the only kind a gradient reaches) moves nothing
        rule("Cast", s -> s.only(s.dy()));
        for (String op : new String[] {"Slice", "Gather", "Split", "Expand", "Tile", "GatherElements"}) rule(op, RoutingRule::backward);
        rule("Transpose", s -> {
            int rank = s.in(0).rank();
            long[] p = s.node().attrInts("perm", null);
            int[] perm = new int[rank];
            for (int i = 0; i < rank; i++) perm[i] = p == null ? rank - 1 - i : (int) p[i];
            // the gradient of a transpose is dy transposed back, into a step array (dy may be any array; a copy never aliases it)
            return s.only(io.nnzip.engine.ops.support.Transposer.transpose(s.dOut()[0], Permute.inverse(perm), n -> s.pool().floats(n, false)).floats());
        });
        rule("Concat", s -> {
            int[] o = s.out(0).shape();
            int axis = Shapes.axis((int) s.node().attrInt("axis", 0), o.length, s.node().describe());
            int outer = Shapes.product(o, 0, axis), inner = Shapes.product(o, axis + 1, o.length), off = 0;
            Tensor[] r = new Tensor[s.in().length];
            for (int i = 0; i < r.length; i++) {
                int len = s.in(i).dim(axis);
                if (s.need(i)) {
                    float[] g = new float[s.in(i).size()];
                    for (int b = 0; b < outer; b++) System.arraycopy(s.dy(), (b * o[axis] + off) * inner, g, b * len * inner, len * inner);
                    r[i] = s.like(i, g);
                }
                off += len;
            }
            return r;
        });
    }

    private static Tensor[] adder(GradStep s, ConvGeometry g) {
        float[] dx = s.need(0) ? s.gradBuffer(0, false) : null, dw = s.need(1) ? s.gradBuffer(1, false) : null;
        io.nnzip.engine.kernels.AdderConv2d.backward(g, s.x(0), s.x(1), s.dy(), dx, dw, s.par());
        return new Tensor[] {dx == null ? null : s.like(0, dx), dw == null ? null : s.like(1, dw)};
    }

    private static PoolBackward.Window window(ConvGeometry g) {
        return new PoolBackward.Window(g.r(), g.s(), g.strideH(), g.strideW(), g.padTop(), g.padLeft(), g.dilH(), g.dilW());
    }

    /** Fused multi-head attention: the gradient at qkv, from the softmax rows the training forward saved (or recomputed). */
    private static Tensor[] attention(GradStep s) {
        int[] t = io.nnzip.engine.ops.AttentionOps.dims(s.node(), s.in());
        int b = t[0], n = t[1], h = t[2], d = t[3];
        float[] probs = s.saved() instanceof float[] p && p.length == b * h * n * n ? p : null;
        if (probs == null) {
            probs = s.pool().floats(b * h * n * n, false);
            io.nnzip.engine.ops.AttentionOps.forward(s.node(), s.in(), s.pool().floats(b * n * h * d, false), probs, s.par());
        }
        float[] dx = s.gradBuffer(0, false);
        AttentionBackward.run(s.x(0), s.dy(), probs, dx, b, n, h, d, s.node().attrFloat(io.nnzip.engine.ops.AttentionOps.SCALE, 1f), s.par());
        return s.only(dx);
    }

    /** Two-input broadcasting op given the output-shaped gradients for each input. */
    private static Tensor[] binary(GradStep s, float[] ga, float[] gb) {
        int[] o = s.out(0).shape();
        Tensor[] r = new Tensor[2];
        if (s.need(0)) r[0] = s.like(0, Broadcasts.reduceTo(ga, o, s.in(0).shape()));
        if (s.need(1)) r[1] = s.like(1, Broadcasts.reduceTo(gb, o, s.in(1).shape()));
        return r;
    }

    private static Tensor[] softmax(GradStep s, boolean log) {
        int[] sh = s.out(0).shape();
        boolean legacy = s.opset() < 13;
        int axis = Shapes.axis((int) s.node().attrInt("axis", legacy ? 1 : -1), sh.length, s.node().describe());
        int outer = Shapes.product(sh, 0, axis);
        int len = legacy ? Shapes.product(sh, axis, sh.length) : sh[axis];
        int inner = legacy ? 1 : Shapes.product(sh, axis + 1, sh.length);
        return s.only(ActivationBackward.softmax(s.dy(), s.y(), outer, len, inner, log));
    }

    // x: (a.., b..) normalized over b.. = dims [axis, rank); scale, bias broadcast onto (b..)
    private static Tensor[] layerNorm(GradStep s) {
        int[] sh = s.in(0).shape();
        int axis = Shapes.axis((int) s.node().attrInt("axis", -1), sh.length, s.node().describe());
        int rows = Shapes.product(sh, 0, axis), len = Shapes.product(sh, axis, sh.length);
        int[] inner = java.util.Arrays.copyOfRange(sh, axis, sh.length);
        float[] scale = Broadcasts.expand(s.x(1), s.in(1).shape(), inner);
        float[] dx = s.need(0) ? s.gradBuffer(0, false) : null, ds = s.need(1) ? new float[len] : null, db = s.need(2) ? new float[len] : null;
        LayerNormBackward.run(s.x(0), scale, s.dy(), rows, len, s.node().attrFloat("epsilon", 1e-5f), dx, ds, db, s.par());
        Tensor[] r = new Tensor[s.in().length];
        if (dx != null) r[0] = s.like(0, dx);
        if (ds != null) r[1] = s.like(1, Broadcasts.reduceTo(ds, inner, s.in(1).shape()));
        if (db != null) r[2] = s.like(2, Broadcasts.reduceTo(db, inner, s.in(2).shape()));
        return r;
    }

    /** ReduceMean/ReduceSum: dy spread back over the reduced dims (divided by their count for the mean). */
    private static Tensor[] reduce(GradStep s, boolean mean) {
        int[] sh = s.in(0).shape();
        long[] axes = Axes.of(s.node(), s.in(), "axes", 1);
        boolean noop = (axes == null || axes.length == 0) && s.node().attrInt("noop_with_empty_axes", 0) == 1;
        if (noop) return s.only(s.dy());
        boolean[] red = axes == null || axes.length == 0 ? null : Axes.mask(Axes.normalize(s.node(), axes, sh.length), sh.length);
        int[] kept = sh.clone();
        int count = 1;
        for (int d = 0; d < sh.length; d++)
            if (red == null || red[d]) {
                count *= sh[d];
                kept[d] = 1;
            }
        // dy spread over the reduced axes, scaled by 1/count for a mean: one pass into a step array
        float[] dy = s.dy(), g = s.gradBuffer(0, false);
        Broadcasts.expandInto(dy, kept, sh, g, mean ? 1f / count : 1f);
        return s.only(g);
    }

    static NnzipException unsupported(GradStep s, String why) { return new NnzipException(s.node().describe() + ": " + why); }
}
