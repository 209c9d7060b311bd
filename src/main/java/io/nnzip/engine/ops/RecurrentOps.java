package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.function.DoubleUnaryOperator;

/**
 * RNN, GRU and LSTM (opsets 7-14), forward / reverse / bidirectional, with sequence_lens, initial states, LSTM
 * peepholes, clip, layout 0 (seq, batch, ..) and 1 (batch, seq, ..). Gate blocks in W, R and B follow ONNX:
 * LSTM i,o,f,c; GRU z,r,h. Computed step by step in double; these are small sequence models, not a GEMM path.
 */
final class RecurrentOps {
    private enum Cell { RNN, GRU, LSTM }

    private RecurrentOps() {}

    static void register() {
        OpRegistry.register("RNN", (n, in, c) -> run(n, in, Cell.RNN), (n, in, o) -> rule(n, in, 2));
        OpRegistry.register("GRU", (n, in, c) -> run(n, in, Cell.GRU), (n, in, o) -> rule(n, in, 2));
        OpRegistry.register("LSTM", (n, in, c) -> run(n, in, Cell.LSTM), (n, in, o) -> rule(n, in, 3));
    }

    private static ValueType[] rule(Node n, ValueType[] in, int outputs) {
        int[] x = in[0].shape();
        int h = (int) n.attrInt("hidden_size", -1), dirs = n.attrString("direction", "forward").equals("bidirectional") ? 2 : 1;
        boolean batchFirst = n.attrInt("layout", 0) == 1;
        ValueType[] out = new ValueType[n.outputs().size()];
        int seq = x == null ? -1 : x[batchFirst ? 1 : 0], batch = x == null ? -1 : x[batchFirst ? 0 : 1];
        for (int i = 0; i < out.length; i++) {
            int[] s = i == 0 ? (batchFirst ? new int[] {batch, seq, dirs, h} : new int[] {seq, dirs, batch, h})
                    : (batchFirst ? new int[] {batch, dirs, h} : new int[] {dirs, batch, h});
            out[i] = ValueType.of(in[0].dtype(), s);
        }
        return out;
    }

    private static DoubleUnaryOperator activation(String name, float alpha, float beta) {
        return switch (name.toLowerCase()) {
            case "sigmoid" -> v -> 1 / (1 + Math.exp(-v));
            case "tanh" -> Math::tanh;
            case "relu" -> v -> Math.max(0, v);
            case "leakyrelu" -> v -> v < 0 ? alpha * v : v;
            case "hardsigmoid" -> v -> Math.max(0, Math.min(1, alpha * v + beta));
            case "affine" -> v -> alpha * v + beta;
            case "scaledtanh" -> v -> alpha * Math.tanh(beta * v);
            case "thresholdedrelu" -> v -> v > alpha ? v : 0;
            case "elu" -> v -> v < 0 ? alpha * (Math.exp(v) - 1) : v;
            case "softsign" -> v -> v / (1 + Math.abs(v));
            case "softplus" -> v -> Math.log1p(Math.exp(v));
            default -> throw new UnsupportedOpException("recurrent activation " + name);
        };
    }

    /** The per-direction activation functions, defaults filled in; alpha/beta lists are consumed in order. */
    private static DoubleUnaryOperator[][] activations(Node n, Cell cell, int dirs) {
        String[] dflt = switch (cell) {
            case RNN -> new String[] {"Tanh"};
            case GRU -> new String[] {"Sigmoid", "Tanh"};
            case LSTM -> new String[] {"Sigmoid", "Tanh", "Tanh"};
        };
        var a = n.attr("activations");
        String[] names = a == null ? null : (String[]) a.value();
        float[] alpha = n.attrFloats("activation_alpha", new float[0]), beta = n.attrFloats("activation_beta", new float[0]);
        DoubleUnaryOperator[][] f = new DoubleUnaryOperator[dirs][dflt.length];
        int k = 0;
        for (int d = 0; d < dirs; d++)
            for (int i = 0; i < dflt.length; i++, k++) {
                String name = names != null && k < names.length ? names[k] : dflt[i];
                boolean usesParams = names != null && k < names.length;
                f[d][i] = activation(name, usesParams && k < alpha.length ? alpha[k] : defaultAlpha(name), usesParams && k < beta.length ? beta[k] : defaultBeta(name));
            }
        return f;
    }

    private static float defaultAlpha(String name) {
        return switch (name.toLowerCase()) {
            case "leakyrelu" -> 0.01f;
            case "hardsigmoid" -> 0.2f;
            default -> 1f;
        };
    }

    private static float defaultBeta(String name) { return name.equalsIgnoreCase("hardsigmoid") ? 0.5f : name.equalsIgnoreCase("affine") ? 0f : 1f; }

    // x: (T,B,I) | (B,T,I), w: (D,G*H,I), r: (D,G*H,H), b: (D,2*G*H) -> y: (T,D,B,H) | (B,T,D,H), y_h[, y_c]: (D,B,H) | (B,D,H)
    private static Tensor[] run(Node n, Tensor[] in, Cell cell) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException(n.opType() + " on " + x.dtype().lower());
        if (n.attrInt("input_forget", 0) != 0) throw new UnsupportedOpException("LSTM input_forget=1");
        boolean batchFirst = n.attrInt("layout", 0) == 1;
        String direction = n.attrString("direction", "forward");
        int dirs = direction.equals("bidirectional") ? 2 : 1, G = cell == Cell.LSTM ? 4 : cell == Cell.GRU ? 3 : 1;
        int[] xs = x.shape();
        int T = xs[batchFirst ? 1 : 0], B = xs[batchFirst ? 0 : 1], I = xs[2];
        int H = (int) n.attrInt("hidden_size", in[2].dim(2));
        if (in[1].dim(1) != G * H || in[1].dim(2) != I) throw new NnzipException(n.opType() + ": W shape " + Shapes.str(in[1].shape()) + " does not fit hidden_size " + H + " and input size " + I);
        double[] X = Values.doubles(x), W = Values.doubles(in[1]), R = Values.doubles(in[2]);
        double[] Bias = opt(in, 3) == null ? new double[dirs * 2 * G * H] : Values.doubles(in[3]);
        long[] lens = opt(in, 4) == null ? null : in[4].toLongs();
        double[] h0 = opt(in, 5) == null ? null : Values.doubles(in[5]), c0 = cell == Cell.LSTM && opt(in, 6) != null ? Values.doubles(in[6]) : null;
        double[] P = cell == Cell.LSTM && opt(in, 7) != null ? Values.doubles(in[7]) : null;
        double clip = n.has("clip") ? n.attrFloat("clip", 0f) : Double.POSITIVE_INFINITY;
        boolean linearBeforeReset = n.attrInt("linear_before_reset", 0) != 0;
        DoubleUnaryOperator[][] act = activations(n, cell, dirs);
        double[] Y = new double[T * dirs * B * H], Yh = new double[dirs * B * H], Yc = new double[dirs * B * H];
        for (int d = 0; d < dirs; d++) {
            boolean reverse = direction.equals("reverse") || d == 1;
            for (int b = 0; b < B; b++) {
                int len = lens == null ? T : (int) lens[b];
                double[] h = new double[H], c = new double[H];
                for (int j = 0; j < H; j++) {
                    if (h0 != null) h[j] = h0[(d * B + b) * H + j];
                    if (c0 != null) c[j] = c0[(d * B + b) * H + j];
                }
                for (int step = 0; step < len; step++) {
                    int t = reverse ? len - 1 - step : step;
                    int xo = batchFirst ? (b * T + t) * I : (t * B + b) * I;
                    double[] gx = new double[G * H], gh = new double[G * H];
                    for (int g = 0; g < G * H; g++) {
                        double sx = Bias[d * 2 * G * H + g], sh = Bias[d * 2 * G * H + G * H + g];
                        for (int i = 0; i < I; i++) sx += W[(d * G * H + g) * I + i] * X[xo + i];
                        for (int i = 0; i < H; i++) sh += R[(d * G * H + g) * H + i] * h[i];
                        gx[g] = sx;
                        gh[g] = sh;
                    }
                    step(cell, h, c, gx, gh, H, P, d, clip, linearBeforeReset, act[d], R, d * G * H);
                    for (int j = 0; j < H; j++) {
                        int at = batchFirst ? ((b * T + t) * dirs + d) * H + j : ((t * dirs + d) * B + b) * H + j;
                        Y[at] = h[j];
                    }
                }
                for (int j = 0; j < H; j++) {
                    int at = batchFirst ? (b * dirs + d) * H + j : (d * B + b) * H + j;
                    Yh[at] = h[j];
                    Yc[at] = c[j];
                }
            }
        }
        int[] ys = batchFirst ? new int[] {B, T, dirs, H} : new int[] {T, dirs, B, H}, hs = batchFirst ? new int[] {B, dirs, H} : new int[] {dirs, B, H};
        Tensor[] out = {Values.fromDoubles(x.dtype(), ys, Y), Values.fromDoubles(x.dtype(), hs, Yh), Values.fromDoubles(x.dtype(), hs, Yc)};
        return java.util.Arrays.copyOf(out, cell == Cell.LSTM ? 3 : 2);
    }

    private static Tensor opt(Tensor[] in, int i) { return i < in.length ? in[i] : null; }

    private static double clip(double v, double c) { return Math.max(-c, Math.min(c, v)); }

    /** One time step: updates h (and c for LSTM) in place from the input and recurrent gate sums. */
    private static void step(Cell cell, double[] h, double[] c, double[] gx, double[] gh, int H, double[] P, int d, double clip,
                             boolean linearBeforeReset, DoubleUnaryOperator[] f, double[] R, int rRow) {
        switch (cell) {
            case RNN -> {
                for (int j = 0; j < H; j++) h[j] = f[0].applyAsDouble(clip(gx[j] + gh[j], clip));
            }
            case GRU -> {
                double[] z = new double[H], r = new double[H], hn = new double[H];
                for (int j = 0; j < H; j++) {
                    z[j] = f[0].applyAsDouble(clip(gx[j] + gh[j], clip));
                    r[j] = f[0].applyAsDouble(clip(gx[H + j] + gh[H + j], clip));
                }
                for (int j = 0; j < H; j++) {
                    double rec;
                    if (linearBeforeReset) {
                        rec = r[j] * gh[2 * H + j];
                    } else {
                        // (r ⊙ h) R_h^T + Rb_h: recompute the recurrent product with the reset-gated state.
                        double bias = gh[2 * H + j];
                        for (int i = 0; i < H; i++) bias -= R[(rRow + 2 * H + j) * H + i] * h[i];
                        rec = bias;
                        for (int i = 0; i < H; i++) rec += R[(rRow + 2 * H + j) * H + i] * r[i] * h[i];
                    }
                    hn[j] = f[1].applyAsDouble(clip(gx[2 * H + j] + rec, clip));
                }
                for (int j = 0; j < H; j++) h[j] = (1 - z[j]) * hn[j] + z[j] * h[j];
            }
            case LSTM -> {
                for (int j = 0; j < H; j++) {
                    double pi = P == null ? 0 : P[d * 3 * H + j], po = P == null ? 0 : P[d * 3 * H + H + j], pf = P == null ? 0 : P[d * 3 * H + 2 * H + j];
                    double i = f[0].applyAsDouble(clip(gx[j] + gh[j] + pi * c[j], clip));
                    double fg = f[0].applyAsDouble(clip(gx[2 * H + j] + gh[2 * H + j] + pf * c[j], clip));
                    double cc = f[1].applyAsDouble(clip(gx[3 * H + j] + gh[3 * H + j], clip));
                    c[j] = fg * c[j] + i * cc;
                    double o = f[0].applyAsDouble(clip(gx[H + j] + gh[H + j] + po * c[j], clip));
                    h[j] = o * f[2].applyAsDouble(c[j]);
                }
            }
        }
    }
}
