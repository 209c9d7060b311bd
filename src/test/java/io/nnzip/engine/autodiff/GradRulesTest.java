package io.nnzip.engine.autodiff;

import static io.nnzip.engine.autodiff.GradCheck.check;
import static io.nnzip.engine.autodiff.GradCheck.random;

import io.nnzip.engine.autodiff.kernels.BatchNormTraining;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Node;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** Every rule in {@link GradRules} against central finite differences of a double-precision reference. */
class GradRulesTest {
    private final Random rnd = new Random(42);

    private static Node node(String op, int nIn, Attribute... attrs) {
        List<String> ins = new java.util.ArrayList<>();
        for (int i = 0; i < nIn; i++) ins.add("in" + i);
        Node n = new Node("n", op, ins, List.of("out"));
        for (Attribute a : attrs) n.set(a);
        return n;
    }

    private static boolean[] all(int n) {
        boolean[] b = new boolean[n];
        java.util.Arrays.fill(b, true);
        return b;
    }

    private void conv(int c, int k, int g, int stride, int pad, int dil, int r) { conv(2, c, k, g, stride, pad, dil, r); }

    private void conv(int n, int c, int k, int g, int stride, int pad, int dil, int r) {
        int h = 6, w = 5, s = r;
        double[] x = random(rnd, n * c * h * w), wt = random(rnd, k * (c / g) * r * s), b = random(rnd, k);
        int p = (h + 2 * pad - dil * (r - 1) - 1) / stride + 1, q = (w + 2 * pad - dil * (s - 1) - 1) / stride + 1;
        Node nd = node("Conv", 3, Attribute.of("group", (long) g), Attribute.of("strides", (long) stride, stride),
                Attribute.of("pads", (long) pad, pad, pad, pad), Attribute.of("dilations", (long) dil, dil), Attribute.of("kernel_shape", (long) r, s));
        check(nd, 17, new double[][] {x, wt, b}, new int[][] {{n, c, h, w}, {k, c / g, r, s}, {k}}, all(3),
                in -> RefOps.conv(in[0], in[1], in[2], n, c, h, w, k, g, r, s, stride, pad, dil), new int[] {n, k, p, q}, null);
    }

    @Test void convPlain() { conv(3, 4, 1, 1, 1, 1, 3); }

    @Test void convStridedDilated() { conv(2, 3, 1, 2, 1, 2, 3); }

    @Test void convGrouped() { conv(4, 6, 2, 1, 0, 1, 3); }

    @Test void convDepthwise() { conv(3, 3, 3, 2, 1, 1, 3); }

    @Test void convPointwise() { conv(5, 4, 1, 1, 0, 1, 1); }

    /** Enough images for several GEMM blocks split over two threads. */
    @Test void convManyImages() {
        conv(37, 3, 4, 1, 1, 1, 1, 3);
        conv(37, 20, 3, 1, 1, 1, 1, 1);
        conv(37, 1, 4, 1, 1, 1, 1, 3);
    }

    private static Node adderNode(int stride, int pad, int dil, int r) {
        return node(io.nnzip.engine.ops.AdderOps.OP, 2, Attribute.of("strides", (long) stride, stride), Attribute.of("pads", (long) pad, pad, pad, pad),
                Attribute.of("dilations", (long) dil, dil), Attribute.of("kernel_shape", (long) r, r));
    }

    /**
     * Where every |x − w| > 1 the paper's clipped input gradient HT(w − x) is the true derivative of −|x − w|, so
     * the input gradient must match finite differences of the forward (many images: the threads' halves and col2im).
     */
    @Test void adderInputGradientMatchesFiniteDifferencesOutsideTheClip() {
        for (int[] cfg : new int[][] {{1, 1, 1, 3}, {2, 1, 1, 3}, {1, 2, 2, 3}, {1, 0, 1, 1}}) {
            int n = 5, c = 3, h = 6, w = 7, k = 4, r = cfg[3];
            double[] x = random(rnd, n * c * h * w), wt = random(rnd, k * c * r * r);
            for (int i = 0; i < x.length; i++) x[i] = 3 + 0.3 * x[i];
            for (int i = 0; i < wt.length; i++) wt[i] = -0.3 * Math.abs(wt[i]);
            Node nd = adderNode(cfg[0], cfg[1], cfg[2], r);
            int p = (h + 2 * cfg[1] - cfg[2] * (r - 1) - 1) / cfg[0] + 1, q = (w + 2 * cfg[1] - cfg[2] * (r - 1) - 1) / cfg[0] + 1;
            check(nd, 17, new double[][] {x, wt}, new int[][] {{n, c, h, w}, {k, c, r, r}}, new boolean[] {true, false},
                    in -> RefOps.adder(in[0], in[1], n, c, h, w, k, r, r, cfg[0], cfg[1], cfg[2], null, null), new int[] {n, k, p, q}, null);
        }
    }

    /** Inside the clip: the forward against direct sums, the gradients against the paper's formulas summed directly. */
    @Test void adderForwardAndPaperGradients() {
        int n = 3, c = 4, h = 7, w = 6, k = 5, r = 3, stride = 2, pad = 1, dil = 1;
        double[] x = random(rnd, n * c * h * w), wt = random(rnd, k * c * r * r);
        Node nd = adderNode(stride, pad, dil, r);
        int p = (h + 2 * pad - r) / stride + 1, q = (w + 2 * pad - r) / stride + 1;
        double[] dy = random(rnd, n * k * p * q);
        double[][] ref = new double[2][];
        double[] y = RefOps.adder(x, wt, n, c, h, w, k, r, r, stride, pad, dil, dy, ref);
        io.nnzip.ir.Tensor[] in = {GradCheck.floatTensor(x, n, c, h, w), GradCheck.floatTensor(wt, k, c, r, r)};
        float[] engine = io.nnzip.engine.OpRegistry.get(nd).kernel().run(nd, in, new io.nnzip.engine.ExecContext(GradCheck.PAR, 17))[0].floats();
        for (int i = 0; i < y.length; i++) org.junit.jupiter.api.Assertions.assertEquals(y[i], engine[i], 1e-4 * Math.max(1, Math.abs(y[i])), "y " + i);
        io.nnzip.ir.Tensor[] g = GradRules.get(nd.opType()).backward(new GradStep(nd, in, new io.nnzip.ir.Tensor[] {GradCheck.floatTensor(y, n, k, p, q)},
                new io.nnzip.ir.Tensor[] {GradCheck.floatTensor(dy, n, k, p, q)}, all(2), null, 17, GradCheck.PAR, new io.nnzip.engine.autodiff.kernels.ArrayPool()));
        for (int t = 0; t < 2; t++) {
            float[] got = g[t].floats();
            for (int i = 0; i < got.length; i++) org.junit.jupiter.api.Assertions.assertEquals(ref[t][i], got[i], 1e-4 * Math.max(1, Math.abs(ref[t][i])), "input " + t + " element " + i);
        }
    }

    @Test void maxPoolTrainingForwardAndScatterBackward() {
        int n = 2, c = 3, h = 6, w = 7;
        double[] x = random(rnd, n * c * h * w);
        for (int[] cfg : new int[][] {{2, 2, 0}, {3, 2, 1}}) {
            Node nd = node("MaxPool", 1, Attribute.of("kernel_shape", (long) cfg[0], cfg[0]), Attribute.of("strides", (long) cfg[1], cfg[1]),
                    Attribute.of("pads", (long) cfg[2], cfg[2], cfg[2], cfg[2]));
            io.nnzip.engine.kernels.ConvGeometry g = io.nnzip.engine.autodiff.kernels.ConvAttrs.pool(nd, new int[] {n, c, h, w});
            float[] y = new float[n * c * g.p() * g.q()];
            int[] argmax = new int[y.length];
            io.nnzip.engine.autodiff.kernels.MaxPoolTraining.forward(g, GradCheck.toFloat(x), y, argmax, GradCheck.PAR);
            double[] ref = RefOps.pool(x, n * c, h, w, cfg[0], cfg[0], cfg[1], cfg[2], true, false);
            for (int i = 0; i < y.length; i++) org.junit.jupiter.api.Assertions.assertEquals(ref[i], y[i], 1e-6);
            check(nd, 13, new double[][] {x}, new int[][] {{n, c, h, w}}, all(1),
                    in -> RefOps.pool(in[0], n * c, h, w, cfg[0], cfg[0], cfg[1], cfg[2], true, false), new int[] {n, c, g.p(), g.q()}, argmax);
        }
    }

    private void gemm(boolean ta, boolean tb, int[] cShape) {
        int m = 3, n = 4, k = 5;
        double[] a = random(rnd, m * k), b = random(rnd, k * n), c = random(rnd, io.nnzip.ir.Shapes.numel(cShape));
        Node nd = node("Gemm", 3, Attribute.of("transA", ta ? 1L : 0L), Attribute.of("transB", tb ? 1L : 0L),
                Attribute.of("alpha", 0.7f), Attribute.of("beta", 1.3f));
        check(nd, 13, new double[][] {a, b, c}, new int[][] {ta ? new int[] {k, m} : new int[] {m, k}, tb ? new int[] {n, k} : new int[] {k, n}, cShape}, all(3),
                in -> RefOps.gemm(in[0], in[1], in[2], m, n, k, ta, tb, 0.7, 1.3, cShape), new int[] {m, n}, null);
    }

    @Test void gemmAllTransposes() {
        gemm(false, false, new int[] {4});
        gemm(true, false, new int[] {3, 4});
        gemm(false, true, new int[] {1, 4});
        gemm(true, true, new int[] {3, 1});
    }

    private double[] matmulRef(double[] a, int[] as, double[] b, int[] bs) {
        // batch over the broadcast leading dims; both operands rank 3 or B rank 2
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        int ba = as.length == 3 ? as[0] : 1, bb = bs.length == 3 ? bs[0] : 1, bt = Math.max(ba, bb);
        double[] y = new double[bt * m * n];
        for (int t = 0; t < bt; t++) {
            int ao = (ba == 1 ? 0 : t) * m * k, bo = (bb == 1 ? 0 : t) * k * n;
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[ao + i * k + p] * b[bo + p * n + j];
                y[(t * m + i) * n + j] = s;
            }
        }
        return y;
    }

    @Test void matmulBatchedAndBroadcast() {
        int[][][] cases = {{{2, 3, 4}, {4, 5}}, {{2, 3, 4}, {2, 4, 5}}, {{1, 3, 4}, {3, 4, 2}}, {{3, 4}, {4, 2}}};
        for (int[][] cs : cases) {
            int[] as = cs[0], bs = cs[1];
            double[] a = random(rnd, io.nnzip.ir.Shapes.numel(as)), b = random(rnd, io.nnzip.ir.Shapes.numel(bs));
            int bt = Math.max(as.length == 3 ? as[0] : 1, bs.length == 3 ? bs[0] : 1);
            int[] out = as.length == 3 || bs.length == 3 ? new int[] {bt, as[as.length - 2], bs[bs.length - 1]} : new int[] {as[0], bs[1]};
            check(node("MatMul", 2), 13, new double[][] {a, b}, new int[][] {as, bs}, all(2), in -> matmulRef(in[0], as, in[1], bs), out, null);
        }
    }

    private void binary(String op, RefOps.Op2 f, int[] as, int[] bs) {
        double[] a = random(rnd, io.nnzip.ir.Shapes.numel(as)), b = random(rnd, io.nnzip.ir.Shapes.numel(bs));
        if (op.equals("Div")) for (int i = 0; i < b.length; i++) b[i] = Math.signum(b[i] + 1e-9) * (1 + Math.abs(b[i]));
        double[] bf = b;
        check(node(op, 2), 13, new double[][] {a, bf}, new int[][] {as, bs}, all(2),
                in -> RefOps.binary(in[0], as, in[1], bs, f), io.nnzip.ir.Shapes.broadcast(as, bs), null);
    }

    @Test void arithmeticWithBroadcast() {
        int[][][] shapes = {{{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {3, 1}}, {{1}, {2, 3}}, {{2, 1, 4}, {3, 1}}};
        for (int[][] s : shapes) {
            binary("Add", Double::sum, s[0], s[1]);
            binary("Sub", (a, b) -> a - b, s[0], s[1]);
            binary("Mul", (a, b) -> a * b, s[0], s[1]);
            binary("Div", (a, b) -> a / b, s[0], s[1]);
        }
    }

    private void unary(Node nd, DoubleUnaryOperator f, int opset) {
        int[] sh = {2, 3, 5};
        double[] x = random(rnd, 30);
        for (int i = 0; i < x.length; i++) if (Math.abs(x[i]) < 0.02) x[i] += 0.05;
        check(nd, opset, new double[][] {x}, new int[][] {sh}, all(1), in -> java.util.Arrays.stream(in[0]).map(f).toArray(), sh, null);
    }

    @Test void activations() {
        unary(node("Relu", 1), v -> Math.max(0, v), 13);
        unary(node("LeakyRelu", 1, Attribute.of("alpha", 0.1f)), v -> v > 0 ? v : 0.1 * v, 13);
        unary(node("Sigmoid", 1), v -> 1 / (1 + Math.exp(-v)), 13);
        unary(node("Tanh", 1), Math::tanh, 13);
        unary(node("Neg", 1), v -> -v, 13);
        unary(node("Identity", 1), v -> v, 13);
        unary(node("Clip", 1, Attribute.of("min", -0.5f), Attribute.of("max", 0.7f)), v -> Math.min(0.7, Math.max(-0.5, v)), 6);
    }

    @Test void clipWithInputsAsRelu6() {
        int[] sh = {4, 5};
        double[] x = random(rnd, 20);
        for (int i = 0; i < x.length; i++) x[i] = x[i] * 5 + 3;
        for (int i = 0; i < x.length; i++) if (Math.abs(x[i]) < 0.05 || Math.abs(x[i] - 6) < 0.05) x[i] += 0.2;
        check(node("Clip", 3), 13, new double[][] {x, {0}, {6}}, new int[][] {sh, {}, {}}, new boolean[] {true, false, false},
                in -> java.util.Arrays.stream(in[0]).map(v -> Math.min(6, Math.max(0, v))).toArray(), sh, null);
    }

    @Test void softmaxAndLogSoftmax() {
        int[] sh = {2, 3, 4};
        for (boolean log : new boolean[] {false, true}) {
            String op = log ? "LogSoftmax" : "Softmax";
            check(node(op, 1, Attribute.of("axis", 1L)), 13, new double[][] {random(rnd, 24)}, new int[][] {sh}, all(1),
                    in -> RefOps.softmax(in[0], 2, 3, 4, log), sh, null);
            check(node(op, 1), 13, new double[][] {random(rnd, 24)}, new int[][] {sh}, all(1),
                    in -> RefOps.softmax(in[0], 6, 4, 1, log), sh, null);
            check(node(op, 1, Attribute.of("axis", 1L)), 11, new double[][] {random(rnd, 24)}, new int[][] {sh}, all(1),
                    in -> RefOps.softmax(in[0], 2, 12, 1, log), sh, null);
        }
    }

    @Test void batchNormTrainingMode() {
        int n = 3, c = 2, l = 5;
        int[] sh = {n, c, 1, l};
        double[] x = random(rnd, n * c * l), sc = random(rnd, c), bi = random(rnd, c);
        BatchNormTraining.Saved st = BatchNormTraining.forward(GradCheck.toFloat(x), GradCheck.toFloat(sc), GradCheck.toFloat(bi), null, null,
                1e-5f, 0.9f, n, c, l, new float[x.length], GradCheck.PAR);
        check(node("BatchNormalization", 5), 15, new double[][] {x, sc, bi, {0, 0}, {1, 1}}, new int[][] {sh, {c}, {c}, {c}, {c}},
                new boolean[] {true, true, true, false, false}, in -> RefOps.batchNorm(in[0], in[1], in[2], null, null, n, c, l, 1e-5), sh, st);
    }

    @Test void batchNormTrainingForwardMatchesReference() {
        int n = 4, c = 3, l = 6;
        double[] x = random(rnd, n * c * l), sc = random(rnd, c), bi = random(rnd, c);
        float[] y = new float[x.length], rm = new float[c], rv = {1, 1, 1};
        BatchNormTraining.forward(GradCheck.toFloat(x), GradCheck.toFloat(sc), GradCheck.toFloat(bi), rm, rv, 1e-5f, 0.9f, n, c, l, y, GradCheck.PAR);
        double[] ref = RefOps.batchNorm(x, sc, bi, null, null, n, c, l, 1e-5);
        for (int i = 0; i < y.length; i++) org.junit.jupiter.api.Assertions.assertEquals(ref[i], y[i], 1e-4);
        for (int ch = 0; ch < c; ch++) {
            double s = 0, ss = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < l; j++) s += x[(i * c + ch) * l + j];
            double mu = s / (n * l);
            for (int i = 0; i < n; i++) for (int j = 0; j < l; j++) ss += Math.pow(x[(i * c + ch) * l + j] - mu, 2);
            org.junit.jupiter.api.Assertions.assertEquals(0.1 * mu, rm[ch], 1e-5);
            org.junit.jupiter.api.Assertions.assertEquals(0.9 + 0.1 * ss / (n * l - 1), rv[ch], 1e-5);
        }
    }

    @Test void batchNormFrozen() {
        int n = 2, c = 3, l = 4;
        int[] sh = {n, c, l};
        double[] x = random(rnd, n * c * l), sc = random(rnd, c), bi = random(rnd, c), mean = random(rnd, c), var = {0.5, 1.5, 2.0};
        check(node("BatchNormalization", 5), 15, new double[][] {x, sc, bi, mean, var}, new int[][] {sh, {c}, {c}, {c}, {c}},
                new boolean[] {true, true, true, false, false}, in -> RefOps.batchNorm(in[0], in[1], in[2], in[3], in[4], n, c, l, 1e-5), sh, null);
    }

    @Test void pooling() {
        int n = 2, c = 2, h = 6, w = 5;
        int[] sh = {n, c, h, w};
        Node max = node("MaxPool", 1, Attribute.of("kernel_shape", 3L, 3L), Attribute.of("strides", 2L, 2L), Attribute.of("pads", 1L, 1L, 1L, 1L));
        check(max, 13, new double[][] {random(rnd, n * c * h * w)}, new int[][] {sh}, all(1),
                in -> RefOps.pool(in[0], n * c, h, w, 3, 3, 2, 1, true, false), new int[] {n, c, 3, 3}, null);
        Node max2 = node("MaxPool", 1, Attribute.of("kernel_shape", 2L, 2L), Attribute.of("strides", 2L, 2L));
        check(max2, 13, new double[][] {random(rnd, n * c * h * w)}, new int[][] {sh}, all(1),
                in -> RefOps.pool(in[0], n * c, h, w, 2, 2, 2, 0, true, false), new int[] {n, c, 3, 2}, null);
        for (long countPad : new long[] {0, 1}) {
            Node avg = node("AveragePool", 1, Attribute.of("kernel_shape", 3L, 3L), Attribute.of("strides", 2L, 2L),
                    Attribute.of("pads", 1L, 1L, 1L, 1L), Attribute.of("count_include_pad", countPad));
            check(avg, 13, new double[][] {random(rnd, n * c * h * w)}, new int[][] {sh}, all(1),
                    in -> RefOps.pool(in[0], n * c, h, w, 3, 3, 2, 1, false, countPad == 1), new int[] {n, c, 3, 3}, null);
        }
        check(node("GlobalAveragePool", 1), 13, new double[][] {random(rnd, n * c * h * w)}, new int[][] {sh}, all(1),
                in -> RefOps.pool(in[0], n * c, h, w, h, w, 1, 0, false, false), new int[] {n, c, 1, 1}, null);
    }

    @Test void shapeMovement() {
        int[] sh = {2, 3, 4};
        for (String op : new String[] {"Flatten", "Reshape"})
            check(node(op, 1), 13, new double[][] {random(rnd, 24)}, new int[][] {sh}, all(1), in -> in[0].clone(), new int[] {2, 12}, null);
        check(node("Transpose", 1, Attribute.of("perm", 2L, 0L, 1L)), 13, new double[][] {random(rnd, 24)}, new int[][] {sh}, all(1), in -> {
            double[] y = new double[24];
            for (int a = 0; a < 2; a++) for (int b = 0; b < 3; b++) for (int d = 0; d < 4; d++) y[(d * 2 + a) * 3 + b] = in[0][(a * 3 + b) * 4 + d];
            return y;
        }, new int[] {4, 2, 3}, null);
        check(node("Concat", 2, Attribute.of("axis", 1L)), 13, new double[][] {random(rnd, 24), random(rnd, 8)}, new int[][] {sh, {2, 1, 4}}, all(2), in -> {
            double[] y = new double[32];
            for (int a = 0; a < 2; a++) {
                System.arraycopy(in[0], a * 12, y, a * 16, 12);
                System.arraycopy(in[1], a * 4, y, a * 16 + 12, 4);
            }
            return y;
        }, new int[] {2, 4, 4}, null);
        check(node("Sum", 2), 13, new double[][] {random(rnd, 24), random(rnd, 4)}, new int[][] {sh, {4}}, all(2),
                in -> RefOps.binary(in[0], sh, in[1], new int[] {4}, Double::sum), sh, null);
    }

    @Test void dropoutUsesItsMask() {
        int[] sh = {3, 4};
        float[] mask = io.nnzip.engine.autodiff.kernels.DropoutTraining.mask(12, 0.5f, new java.util.SplittableRandom(3));
        check(node("Dropout", 1), 13, new double[][] {random(rnd, 12)}, new int[][] {sh}, all(1), in -> {
            double[] y = new double[12];
            for (int i = 0; i < 12; i++) y[i] = in[0][i] * mask[i];
            return y;
        }, sh, mask);
    }
}
