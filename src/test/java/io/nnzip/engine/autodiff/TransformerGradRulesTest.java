package io.nnzip.engine.autodiff;

import static io.nnzip.engine.autodiff.GradCheck.check;
import static io.nnzip.engine.autodiff.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The rules transformer graphs need (ViT, BERT, GPT as torch.onnx.export writes them) against central finite
 * differences of plain double-precision forwards written here from the ONNX operator spec.
 */
class TransformerGradRulesTest {
    private final Random rnd = new Random(11);

    private static Node node(String op, int nIn, int nOut, Attribute... attrs) {
        List<String> ins = new java.util.ArrayList<>(), outs = new java.util.ArrayList<>();
        for (int i = 0; i < nIn; i++) ins.add("in" + i);
        for (int i = 0; i < nOut; i++) outs.add("out" + i);
        Node n = new Node("n", op, ins, outs);
        for (Attribute a : attrs) n.set(a);
        return n;
    }

    private static Node node(String op, int nIn, Attribute... attrs) { return node(op, nIn, 1, attrs); }

    private static boolean[] first(int n, int wanted) {
        boolean[] b = new boolean[n];
        for (int i = 0; i < wanted; i++) b[i] = true;
        return b;
    }

    private static Tensor longs(int[] shape, long... v) { return Tensor.ofLongs(v, shape); }

    private static double[] asDoubles(long... v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /** Index of flat position {@code o} of {@code shape} along dim {@code d}. */
    private static int coord(int o, int[] shape, int d) { return (o / Shapes.strides(shape)[d]) % shape[d]; }

    // a: (..., M, K), b: (..., K, N), batch dims broadcast -> (..., M, N)
    private static double[] matmul(double[] a, int[] as, double[] b, int[] bs) {
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        int[] batch = Shapes.broadcast(java.util.Arrays.copyOf(as, as.length - 2), java.util.Arrays.copyOf(bs, bs.length - 2));
        int[] ab = java.util.Arrays.copyOf(batch, batch.length + 2), bb = ab.clone();
        ab[batch.length] = m;
        ab[batch.length + 1] = k;
        bb[batch.length] = k;
        bb[batch.length + 1] = n;
        double[] ea = RefOps.expand(a, as, ab), eb = RefOps.expand(b, bs, bb);
        int count = Shapes.numel(batch);
        double[] y = new double[count * m * n];
        for (int t = 0; t < count; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += ea[(t * m + i) * k + p] * eb[(t * k + p) * n + j];
                    y[(t * m + i) * n + j] = s;
                }
        return y;
    }

    @Test void batchedMatMulRank4WithBroadcastBatch() {
        int[][][] cases = {{{2, 3, 4, 5}, {2, 3, 5, 6}}, {{2, 1, 4, 5}, {3, 5, 6}}, {{2, 3, 4, 5}, {5, 6}}, {{4, 5}, {2, 3, 5, 2}},
                // attention-sized: the unpacked per-head kernel, with vector tails (17 columns, 20-deep)
                {{2, 2, 16, 20}, {2, 2, 20, 17}}};
        for (int[][] c : cases) {
            int[] as = c[0], bs = c[1];
            double[] a = random(rnd, Shapes.numel(as)), b = random(rnd, Shapes.numel(bs));
            int[] y = Shapes.broadcast(java.util.Arrays.copyOf(as, as.length - 2), java.util.Arrays.copyOf(bs, bs.length - 2));
            int[] out = java.util.Arrays.copyOf(y, y.length + 2);
            out[y.length] = as[as.length - 2];
            out[y.length + 1] = bs[bs.length - 1];
            check(node("MatMul", 2), 13, new double[][] {a, b}, new int[][] {as, bs}, first(2, 2), in -> matmul(in[0], as, in[1], bs), out, null);
        }
    }

    @Test void softmaxOnEveryAxisOfRank4() {
        int[] sh = {2, 3, 4, 5};
        for (int axis = -1; axis < 4; axis++) {
            int a = axis < 0 ? 3 : axis;
            int outer = Shapes.product(sh, 0, a), len = sh[a], inner = Shapes.product(sh, a + 1, 4);
            check(node("Softmax", 1, Attribute.of("axis", (long) axis)), 13, new double[][] {random(rnd, 120)}, new int[][] {sh}, first(1, 1),
                    in -> RefOps.softmax(in[0], outer, len, inner, false), sh, null);
        }
    }

    // x: (rows, len) normalized per row, scale/bias (len)
    private static double[] layerNorm(double[] x, double[] sc, double[] bi, int rows, int len, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mu = 0, var = 0;
            for (int i = 0; i < len; i++) mu += x[r * len + i] / len;
            for (int i = 0; i < len; i++) var += (x[r * len + i] - mu) * (x[r * len + i] - mu) / len;
            for (int i = 0; i < len; i++) y[r * len + i] = (x[r * len + i] - mu) / Math.sqrt(var + eps) * sc[i] + (bi == null ? 0 : bi[i]);
        }
        return y;
    }

    @Test void layerNormalizationLastAxisAndTwoAxes() {
        int[] sh = {2, 3, 8};
        double[] x = random(rnd, 48), sc = random(rnd, 8), bi = random(rnd, 8);
        check(node("LayerNormalization", 3), 17, new double[][] {x, sc, bi}, new int[][] {sh, {8}, {8}}, first(3, 3),
                in -> layerNorm(in[0], in[1], in[2], 6, 8, 1e-5), sh, null);
        double[] sc2 = random(rnd, 24);
        check(node("LayerNormalization", 2, Attribute.of("axis", 1L), Attribute.of("epsilon", 1e-3f)), 17, new double[][] {x, sc2},
                new int[][] {sh, {3, 8}}, first(2, 2), in -> layerNorm(in[0], in[1], null, 2, 24, 1e-3), sh, null);
        // many rows so the parallel chunks each sum part of dScale
        int[] big = {37, 5};
        check(node("LayerNormalization", 3), 17, new double[][] {random(rnd, 185), sc = random(rnd, 5), random(rnd, 5)}, new int[][] {big, {5}, {5}},
                first(3, 3), in -> layerNorm(in[0], in[1], in[2], 37, 5, 1e-5), big, null);
    }

    @Test void reduceMeanAndSumKeepOrDropDims() {
        int[] sh = {2, 3, 4};
        check(node("ReduceMean", 1, Attribute.of("axes", new long[] {-1})), 13, new double[][] {random(rnd, 24)}, new int[][] {sh}, first(1, 1), in -> {
            double[] y = new double[6];
            for (int i = 0; i < 24; i++) y[i / 4] += in[0][i] / 4;
            return y;
        }, new int[] {2, 3, 1}, null);
        check(node("ReduceMean", 1, Attribute.of("axes", new long[] {1}), Attribute.of("keepdims", 0L)), 13, new double[][] {random(rnd, 24)}, new int[][] {sh},
                first(1, 1), in -> {
                    double[] y = new double[8];
                    for (int i = 0; i < 24; i++) y[coord(i, sh, 0) * 4 + coord(i, sh, 2)] += in[0][i] / 3;
                    return y;
                }, new int[] {2, 4}, null);
        check(node("ReduceSum", 2), 13, new double[][] {random(rnd, 24), {0, 2}}, new int[][] {sh, {2}}, first(2, 1), in -> {
            double[] y = new double[3];
            for (int i = 0; i < 24; i++) y[coord(i, sh, 1)] += in[0][i];
            return y;
        }, new int[] {1, 3, 1}, null, new Tensor[] {null, longs(new int[] {2}, 0, 2)});
        check(node("ReduceMean", 1, Attribute.of("keepdims", 0L)), 13, new double[][] {random(rnd, 24)}, new int[][] {sh}, first(1, 1),
                in -> new double[] {java.util.Arrays.stream(in[0]).sum() / 24}, new int[0], null);
    }

    private void unary(String op, DoubleUnaryOperator f, double lo) {
        int[] sh = {3, 7};
        double[] x = random(rnd, 21);
        if (lo > 0) for (int i = 0; i < x.length; i++) x[i] = lo + Math.abs(x[i]);
        check(node(op, 1), 13, new double[][] {x}, new int[][] {sh}, first(1, 1), in -> java.util.Arrays.stream(in[0]).map(f).toArray(), sh, null);
    }

    @Test void elementwiseMath() {
        unary("Erf", v -> erf(v), 0);
        unary("Tanh", Math::tanh, 0);
        unary("Exp", Math::exp, 0);
        unary("Sqrt", Math::sqrt, 0.1);
        unary("Log", Math::log, 0.1);
        unary("Reciprocal", v -> 1 / v, 0.2);
        unary("Cast", v -> v, 0);
    }

    /** erf by its Maclaurin series (converges for the |x| ≲ 4 drawn here; exact to double rounding). */
    private static double erf(double x) {
        double term = x, sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test void powWithConstantSquareAndWithBothInputs() {
        int[] sh = {2, 5};
        check(node("Pow", 2), 13, new double[][] {random(rnd, 10), {2}}, new int[][] {sh, {}}, first(2, 1),
                in -> java.util.Arrays.stream(in[0]).map(v -> Math.pow(v, in[1][0])).toArray(), sh, null);
        double[] a = random(rnd, 10);
        for (int i = 0; i < a.length; i++) a[i] = 0.3 + Math.abs(a[i]);
        check(node("Pow", 2), 13, new double[][] {a, random(rnd, 5)}, new int[][] {sh, {5}}, first(2, 2),
                in -> RefOps.binary(in[0], sh, in[1], new int[] {5}, Math::pow), sh, null);
    }

    @Test void whereWithCausalMaskBroadcast() {
        int b = 2, h = 3, t = 4;
        int[] sh = {b, h, t, t};
        byte[] causal = new byte[t * t];
        double[] cd = new double[t * t];
        for (int i = 0; i < t; i++) for (int j = 0; j <= i; j++) cd[i * t + j] = causal[i * t + j] = 1;
        Tensor cond = new Tensor(DType.BOOL, new int[] {1, 1, t, t}, causal);
        check(node("Where", 3), 13, new double[][] {cd, random(rnd, Shapes.numel(sh)), random(rnd, 1)}, new int[][] {{1, 1, t, t}, sh, {}},
                new boolean[] {false, true, true}, in -> {
                    double[] y = new double[Shapes.numel(sh)];
                    for (int o = 0; o < y.length; o++) y[o] = in[0][o % (t * t)] != 0 ? in[1][o] : in[2][0];
                    return y;
                }, sh, null, new Tensor[] {cond, null, null});
    }

    @Test void sliceWithStepsAndNegativeBounds() {
        int[] sh = {3, 6, 4};
        // x[:, 5:0:-2, 1:] -> (3, 3, 3)
        Tensor[] fixed = {null, longs(new int[] {2}, 5, 1), longs(new int[] {2}, 0, 100), longs(new int[] {2}, 1, -1), longs(new int[] {2}, -2, 1)};
        check(node("Slice", 5), 13, new double[][] {random(rnd, 72), null, null, null, null}, new int[][] {sh, null, null, null, null},
                first(5, 1), in -> {
                    double[] y = new double[27];
                    for (int a = 0; a < 3; a++) for (int j = 0; j < 3; j++) for (int k = 0; k < 3; k++) y[(a * 3 + j) * 3 + k] = in[0][(a * 6 + 5 - 2 * j) * 4 + 1 + k];
                    return y;
                }, new int[] {3, 3, 3}, null, fixed);
    }

    @Test void gatherScatterAddsRepeatedIndices() {
        int vocab = 5, d = 3;
        long[] ids = {4, 1, 4, 0, -1, 2};
        check(node("Gather", 2), 13, new double[][] {random(rnd, vocab * d), asDoubles(ids)}, new int[][] {{vocab, d}, {2, 3}}, first(2, 1), in -> {
            double[] y = new double[ids.length * d];
            for (int i = 0; i < ids.length; i++) for (int c = 0; c < d; c++) y[i * d + c] = in[0][(int) Math.floorMod(ids[i], vocab) * d + c];
            return y;
        }, new int[] {2, 3, d}, null, new Tensor[] {null, longs(new int[] {2, 3}, ids)});
        // axis 1 with a scalar index: the class token x[:, 0]
        check(node("Gather", 2, Attribute.of("axis", 1L)), 13, new double[][] {random(rnd, 24), {0}}, new int[][] {{2, 3, 4}, {}}, first(2, 1), in -> {
            double[] y = new double[8];
            for (int a = 0; a < 2; a++) for (int c = 0; c < 4; c++) y[a * 4 + c] = in[0][a * 12 + c];
            return y;
        }, new int[] {2, 4}, null, new Tensor[] {null, longs(new int[0], 0)});
    }

    @Test void expandAndTileSumCopies() {
        check(node("Expand", 2), 13, new double[][] {random(rnd, 8), null}, new int[][] {{2, 1, 4}, null}, first(2, 1),
                in -> RefOps.expand(in[0], new int[] {2, 1, 4}, new int[] {3, 2, 5, 4}), new int[] {3, 2, 5, 4}, null,
                new Tensor[] {null, longs(new int[] {4}, 3, 1, 5, 1)});
        check(node("Tile", 2), 13, new double[][] {random(rnd, 6), null}, new int[][] {{2, 3}, null}, first(2, 1), in -> {
            double[] y = new double[36];
            for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) y[i * 6 + j] = in[0][(i % 2) * 3 + j % 3];
            return y;
        }, new int[] {6, 6}, null, new Tensor[] {null, longs(new int[] {2}, 3, 2)});
    }

    /** Split's gradient is its outputs' gradients laid side by side, zeros where an output got none (hand count). */
    @Test void splitWithAMissingOutputGradient() {
        Node n = node("Split", 2, 3, Attribute.of("axis", 1L));
        Tensor x = Tensor.of(new float[2 * 6], 2, 6);
        Tensor[] dOut = {Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), null, Tensor.of(new float[] {5, 6, 7, 8, 9, 10}, 2, 3)};
        Tensor[] out = {Tensor.of(new float[4], 2, 2), Tensor.of(new float[2], 2, 1), Tensor.of(new float[6], 2, 3)};
        Tensor[] g = GradRules.get("Split").backward(new GradStep(n, new Tensor[] {x, longs(new int[] {3}, 2, 1, 3)}, out, dOut,
                new boolean[] {true, false}, null, 13, GradCheck.PAR, new io.nnzip.engine.autodiff.kernels.ArrayPool()));
        assertArrayEquals(new float[] {1, 2, 0, 5, 6, 7, 3, 4, 0, 8, 9, 10}, g[0].floats());
        assertNull(g[1]);
    }

    @Test void headSplitMovement() {
        int b = 2, t = 3, h = 2, dh = 4;
        int[] sh = {b, t, h, dh};
        check(node("Transpose", 1, Attribute.of("perm", 0L, 2L, 1L, 3L)), 13, new double[][] {random(rnd, 48)}, new int[][] {sh}, first(1, 1), in -> {
            double[] y = new double[48];
            for (int o = 0; o < 48; o++) y[((coord(o, sh, 0) * h + coord(o, sh, 2)) * t + coord(o, sh, 1)) * dh + coord(o, sh, 3)] = in[0][o];
            return y;
        }, new int[] {b, h, t, dh}, null);
        for (String op : new String[] {"Unsqueeze", "Squeeze", "Reshape"})
            check(node(op, 1), 13, new double[][] {random(rnd, 48)}, new int[][] {sh}, first(1, 1), in -> in[0].clone(), new int[] {b, t, h * dh}, null);
    }

    // ---- the training fusion's nodes (Tape.fuseTransformers)

    @Test void geluExactForm() {
        unary("Gelu", v -> 0.5 * v * (1 + erf(v / Math.sqrt(2))), 0);
        // past one vector, with a masked tail
        int[] sh = {5, 13};
        check(node("Gelu", 1), 20, new double[][] {random(rnd, 65)}, new int[][] {sh}, first(1, 1),
                in -> java.util.Arrays.stream(in[0]).map(v -> 0.5 * v * (1 + erf(v / Math.sqrt(2)))).toArray(), sh, null);
    }

    /** y[b, i, h] = Σ_j softmax_j(scale·q·k [masked → −∞]) v, from qkv (B, N, 3, H, D), in double. */
    private static double[] attention(double[] qkv, int b, int n, int h, int d, double scale, boolean[] keep) {
        double[] y = new double[b * n * h * d];
        int row = 3 * h * d;
        for (int bb = 0; bb < b; bb++)
            for (int hh = 0; hh < h; hh++)
                for (int i = 0; i < n; i++) {
                    double[] s = new double[n];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < n; j++) {
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += qkv[bb * n * row + i * row + hh * d + c] * qkv[bb * n * row + j * row + h * d + hh * d + c];
                        s[j] = keep != null && !keep[i * n + j] ? Double.NEGATIVE_INFINITY : dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    for (int j = 0; j < n; j++) sum += s[j] = Math.exp(s[j] - max);
                    for (int c = 0; c < d; c++) {
                        double acc = 0;
                        for (int j = 0; j < n; j++) acc += s[j] / sum * qkv[bb * n * row + j * row + 2 * h * d + hh * d + c];
                        y[((bb * n + i) * h + hh) * d + c] = acc;
                    }
                }
        return y;
    }

    @Test void fusedAttentionWithAndWithoutCausalMask() {
        // small (scalar tails only) and vector-sized heads (16-wide rows and a tail: N = 20, D = 17)
        int[][] cases = {{2, 5, 2, 3}, {1, 20, 2, 17}};
        for (int[] c : cases) {
            int b = c[0], n = c[1], h = c[2], d = c[3];
            float scale = (float) (1 / Math.sqrt(d));
            for (boolean masked : new boolean[] {false, true}) {
                boolean[] keep = null;
                Tensor mask = null;
                if (masked) {
                    keep = new boolean[n * n];
                    byte[] bytes = new byte[n * n];
                    for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) { keep[i * n + j] = true; bytes[i * n + j] = 1; }
                    mask = new Tensor(DType.BOOL, new int[] {n, n}, bytes);
                }
                boolean[] k = keep;
                Node node = node(io.nnzip.engine.ops.AttentionOps.OP, masked ? 3 : 2, Attribute.of(io.nnzip.engine.ops.AttentionOps.SCALE, scale));
                Tensor shape = longs(new int[] {5}, b, n, 3, h, d);
                check(node, 13, masked ? new double[][] {random(rnd, b * n * 3 * h * d), null, null} : new double[][] {random(rnd, b * n * 3 * h * d), null},
                        masked ? new int[][] {{b, n, 3 * h * d}, null, null} : new int[][] {{b, n, 3 * h * d}, null}, first(masked ? 3 : 2, 1),
                        in -> attention(in[0], b, n, h, d, scale, k), new int[] {b, n, h, d}, null,
                        masked ? new Tensor[] {null, shape, mask} : new Tensor[] {null, shape});
            }
        }
    }

    @Test void fusedLinearWithBiasInputAndResidual() {
        int[] xs = {2, 3, 4}, ws = {4, 5}, ys = {2, 3, 5};
        double[] x = random(rnd, 24), w = random(rnd, 20), bias = random(rnd, 5), skip = random(rnd, 30);
        Node plain = node("MatMul", 3, Attribute.of(io.nnzip.engine.TransformerFusion.BIAS_INPUT, 1L));
        check(plain, 13, new double[][] {x, w, bias}, new int[][] {xs, ws, {5}}, first(3, 3), in -> {
            double[] y = matmul(in[0], xs, in[1], ws);
            for (int i = 0; i < y.length; i++) y[i] += in[2][i % 5];
            return y;
        }, ys, null);
        Node residual = node("MatMul", 4, Attribute.of(io.nnzip.engine.TransformerFusion.BIAS_INPUT, 1L), Attribute.of(io.nnzip.engine.TransformerFusion.RESIDUAL, 1L));
        check(residual, 13, new double[][] {x, w, bias, skip}, new int[][] {xs, ws, {5}, ys}, first(4, 4), in -> {
            double[] y = matmul(in[0], xs, in[1], ws);
            for (int i = 0; i < y.length; i++) y[i] += in[2][i % 5] + in[3][i];
            return y;
        }, ys, null);
        // many rows: the bias gradient sums per-thread parts
        int[] big = {300, 4};
        check(plain, 13, new double[][] {random(rnd, 1200), w, bias}, new int[][] {big, ws, {5}}, first(3, 3), in -> {
            double[] y = matmul(in[0], big, in[1], ws);
            for (int i = 0; i < y.length; i++) y[i] += in[2][i % 5];
            return y;
        }, new int[] {300, 5}, null);
    }
}
