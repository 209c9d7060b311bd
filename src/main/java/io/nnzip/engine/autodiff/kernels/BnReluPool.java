package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Training-mode BatchNormalization → Relu, optionally → 2×2 stride-2 MaxPool, as one kernel: the normalized and
 * rectified activations never reach memory. The forward reads x twice (statistics, then normalize+rectify
 * (+pool)); the backward reads the pooled gradient once and x twice and writes dx once, where the separate
 * rules make about nine full-size passes.
 * <pre>
 * x: (N,C,H,W), scale, bias: (C) -> y: (N,C,H,W) = relu(bn(x)), or with pooling y: (N,C,H/2,W/2) (floor) plus
 *   argmax: (N,C,H/2,W/2), each the in-plane index of its window's first maximum
 * backward: g = dy routed through the pool's argmax and the relu mask (y > 0);
 *   dbias = Σ g, dscale = Σ g·x̂, dx = scale·istd/M · (M·g − dbias − x̂·dscale) = A·g + B·x + E per channel
 * </pre>
 * Statistics and rounding match {@link BatchNormTraining}; the pool's window choice matches {@link MaxPoolTraining}.
 * Parallel over channels.
 */
public final class BnReluPool {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private BnReluPool() {}

    /**
     * What the backward needs: the batch statistics and, when pooling, the argmax of every window. argmax may be
     * null (no pooling).
     */
    public record Saved(BatchNormTraining.Saved stats, int[] argmax) {}

    /** Forward; runMean/runVar (ONNX momentum convention) are updated in place when non-null. */
    public static Saved forward(float[] x, float[] scale, float[] bias, float[] runMean, float[] runVar, float eps, float momentum,
                                int n, int c, int h, int w, boolean pool, float[] y, int[] argmax, Parallel par) {
        float[] mean = new float[c], invStd = new float[c];
        int hw = h * w, m = n * hw, p = h / 2, q = w / 2;
        boolean vectorPool = pool && w % 2 == 0 && p * q >= S.length();
        float[] rowBase = vectorPool ? rowBases(p, q, w) : null;
        par.forRange(c, 1, (lo, hi) -> {
            // per-thread planes for the vector pool: the rows' vertical maxima and which row won (0 or W)
            float[] vmax = vectorPool ? new float[p * w + 2 * S.length()] : null, vsel = vectorPool ? new float[p * w + 2 * S.length()] : null;
            for (int ch = lo; ch < hi; ch++) {
                double[] mv = BatchNormTraining.moments(x, n, c, hw, ch);
                double mu = mv[0], var = mv[1];
                float is = (float) (1.0 / Math.sqrt(var + eps));
                mean[ch] = (float) mu;
                invStd[ch] = is;
                float a = scale[ch] * is, b = bias[ch] - (float) mu * a;
                for (int i = 0; i < n; i++) {
                    int xo = (i * c + ch) * hw;
                    if (vectorPool) poolPlaneVector(x, xo, w, p, q, a, b, y, argmax, (i * c + ch) * p * q, vmax, vsel, rowBase);
                    else if (pool) poolPlane(x, xo, w, p, q, a, b, y, argmax, (i * c + ch) * p * q);
                    else reluPlane(x, xo, hw, a, b, y);
                }
                BatchNormTraining.updateRunning(runMean, runVar, ch, mu, var, m, momentum);
            }
        });
        return new Saved(new BatchNormTraining.Saved(mean, invStd), pool ? argmax : null);
    }

    private static void reluPlane(float[] x, int o, int len, float a, float b, float[] y) {
        int j = 0;
        for (int end = S.loopBound(len); j < end; j += S.length())
            FloatVector.fromArray(S, x, o + j).fma(a, b).max(0f).intoArray(y, o + j);
        for (; j < len; j++) y[o + j] = Math.max(x[o + j] * a + b, 0f);
    }

    /** For pooled output t = oh·Q + ow: oh·W, the offset from vmax's flat index to the window's top row in x. */
    private static float[] rowBases(int p, int q, int w) {
        float[] r = new float[p * q];
        for (int t = 0; t < r.length; t++) r[t] = (t / q) * w;
        return r;
    }

    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i), ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);

    /**
     * Even W: the vertical maxima of each row pair, flattened (P·W), pair up horizontally without straddling rows,
     * so the horizontal step is an even/odd split of consecutive vectors. Ties go to the first element in raster
     * order, as in {@link #poolPlane} and MaxPoolTraining.
     */
    private static void poolPlaneVector(float[] x, int xo, int w, int p, int q, float a, float b, float[] y, int[] argmax, int yo,
                                        float[] vmax, float[] vsel, float[] rowBase) {
        int len = S.length();
        FloatVector fw = FloatVector.broadcast(S, w), zero = FloatVector.zero(S);
        for (int oh = 0; oh < p; oh++) {
            int r0 = xo + 2 * oh * w, o = oh * w;
            for (int j = 0; j < w; j += len) {
                VectorMask<Float> in = S.indexInRange(j, w);
                FloatVector z0 = FloatVector.fromArray(S, x, r0 + j, in).fma(a, b), z1 = FloatVector.fromArray(S, x, r0 + w + j, in).fma(a, b);
                VectorMask<Float> lower = z1.compare(VectorOperators.GT, z0);
                z0.blend(z1, lower).intoArray(vmax, o + j, in);
                zero.blend(fw, lower).intoArray(vsel, o + j, in);
            }
        }
        int n = p * q, t = 0;
        FloatVector twice = FloatVector.fromArray(S, iota2(), 0);
        for (int end = S.loopBound(n); t < end; t += len) {
            FloatVector va = FloatVector.fromArray(S, vmax, 2 * t), vb = FloatVector.fromArray(S, vmax, 2 * t + len);
            FloatVector sa = FloatVector.fromArray(S, vsel, 2 * t), sb = FloatVector.fromArray(S, vsel, 2 * t + len);
            FloatVector ev = va.rearrange(EVEN, vb), od = va.rearrange(ODD, vb);
            FloatVector selEv = sa.rearrange(EVEN, sb), selOd = sa.rearrange(ODD, sb);
            // a tie goes to the earlier element in raster order: the right column only if its winner is on a higher row
            VectorMask<Float> right = od.compare(VectorOperators.GT, ev).or(od.compare(VectorOperators.EQ, ev).and(selOd.compare(VectorOperators.LT, selEv)));
            ev.blend(od, right).max(0f).intoArray(y, yo + t);
            // in-plane index: flat vmax index (2t + 2i + right) + oh·W (top row of the pair) + the winning row's offset
            FloatVector idx = twice.add(2f * t).add(zero.blend(1f, right)).add(FloatVector.fromArray(S, rowBase, t))
                    .add(selEv.blend(selOd, right));
            ((jdk.incubator.vector.IntVector) idx.convert(VectorOperators.F2I, 0)).intoArray(argmax, yo + t);
        }
        for (; t < n; t++) {
            int v = 2 * t;
            boolean right = vmax[v + 1] > vmax[v] || vmax[v + 1] == vmax[v] && vsel[v + 1] < vsel[v];
            int col = right ? v + 1 : v;
            y[yo + t] = Math.max(vmax[col], 0f);
            argmax[yo + t] = col + (int) rowBase[t] + (int) vsel[col];
        }
    }

    private static float[] iota2Cache;

    private static float[] iota2() {
        float[] f = iota2Cache;
        if (f == null) {
            f = new float[S.length()];
            for (int i = 0; i < f.length; i++) f[i] = 2 * i;
            iota2Cache = f;
        }
        return f;
    }

    private static void poolPlane(float[] x, int xo, int w, int p, int q, float a, float b, float[] y, int[] argmax, int yo) {
        for (int oh = 0; oh < p; oh++) {
            int r0 = xo + 2 * oh * w, r1 = r0 + w, o = yo + oh * q;
            for (int ow = 0; ow < q; ow++) {
                int i0 = r0 + 2 * ow, i2 = r1 + 2 * ow;
                float v0 = x[i0] * a + b, v1 = x[i0 + 1] * a + b, v2 = x[i2] * a + b, v3 = x[i2 + 1] * a + b;
                // the winner is random, so branches (which C2 emits for these selects) would mispredict: the sign
                // of a difference is −1 exactly when the right operand is larger (a tie gives +0, keeping the
                // first element as MaxPoolTraining does; only a −0/+0 tie differs, and its y is 0, passing no gradient)
                int b01 = i0 - sign(v0 - v1), b23 = i2 - sign(v2 - v3);
                float m01 = Math.max(v0, v1), m23 = Math.max(v2, v3);
                y[o + ow] = Math.max(Math.max(m01, m23), 0f);
                argmax[o + ow] = b01 + ((b23 - b01) & sign(m01 - m23)) - xo;
            }
        }
    }

    /**
     * dy where the pooled output y (≥ +0, never −0) is positive, else 0, without a branch (the relu mask is random):
     * a positive y has nonzero bits, whose negation sets the sign bit.
     */
    private static float relu(float y, float dy) {
        int bits = Float.floatToRawIntBits(y);
        return Float.intBitsToFloat(Float.floatToRawIntBits(dy) & ((bits | -bits) >> 31));
    }

    /** −1 when d is negative (incl. −0), else 0. */
    private static int sign(float d) { return Float.floatToRawIntBits(d) >> 31; }

    /**
     * Gradients from the chain's output gradient dy (shaped like y). dx, dscale, dbias may be null when not wanted;
     * dx is overwritten.
     */
    public static void backward(float[] x, float[] scale, Saved st, float[] y, float[] dy, int n, int c, int h, int w,
                                float[] dx, float[] dscale, float[] dbias, Parallel par) {
        int hw = h * w, m = n * hw, pq = (h / 2) * (w / 2);
        int[] argmax = st.argmax();
        par.forRange(c, 1, (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++) {
                float mu = st.stats().mean()[ch], is = st.stats().invStd()[ch];
                double sd = 0, sdxRaw = 0;
                for (int i = 0; i < n; i++) {
                    int xo = (i * c + ch) * hw;
                    if (argmax != null) {
                        int yo = (i * c + ch) * pq;
                        float ps = 0f, pdx = 0f;
                        for (int j = 0; j < pq; j++) {
                            float d = relu(y[yo + j], dy[yo + j]);
                            ps += d;
                            pdx += d * x[xo + argmax[yo + j]];
                        }
                        sd += ps;
                        sdxRaw += pdx;
                    } else {
                        FloatVector vs = FloatVector.zero(S), vdx = vs;
                        int j = 0;
                        for (int end = S.loopBound(hw); j < end; j += S.length()) {
                            VectorMask<Float> off = FloatVector.fromArray(S, y, xo + j).compare(VectorOperators.LE, 0f);
                            FloatVector d = FloatVector.fromArray(S, dy, xo + j).blend(0f, off);
                            vs = vs.add(d);
                            vdx = d.fma(FloatVector.fromArray(S, x, xo + j), vdx);
                        }
                        FloatVector sums = LaneSum.two(vs, vdx);
                        double ps = LaneSum.first(sums), pdx = LaneSum.second(sums);;
                        for (; j < hw; j++) {
                            if (!(y[xo + j] > 0f)) continue;
                            ps += dy[xo + j];
                            pdx += (double) dy[xo + j] * x[xo + j];
                        }
                        sd += ps;
                        sdxRaw += pdx;
                    }
                }
                float db = (float) sd, ds = (float) ((sdxRaw - mu * sd) * is);
                if (dbias != null) dbias[ch] = db;
                if (dscale != null) dscale[ch] = ds;
                if (dx == null) continue;
                float k = scale[ch] * is / m, a = k * m, b = -k * is * ds, e = k * (-db + mu * is * ds);
                for (int i = 0; i < n; i++) {
                    int xo = (i * c + ch) * hw;
                    if (argmax != null) {
                        int j = 0;
                        for (int end = S.loopBound(hw); j < end; j += S.length())
                            FloatVector.fromArray(S, x, xo + j).fma(b, e).intoArray(dx, xo + j);
                        for (; j < hw; j++) dx[xo + j] = b * x[xo + j] + e;
                        int yo = (i * c + ch) * pq;
                        for (int t = 0; t < pq; t++) dx[xo + argmax[yo + t]] += a * relu(y[yo + t], dy[yo + t]);
                    } else {
                        int j = 0;
                        for (int end = S.loopBound(hw); j < end; j += S.length()) {
                            VectorMask<Float> off = FloatVector.fromArray(S, y, xo + j).compare(VectorOperators.LE, 0f);
                            FloatVector d = FloatVector.fromArray(S, dy, xo + j).blend(0f, off);
                            d.fma(FloatVector.broadcast(S, a), FloatVector.fromArray(S, x, xo + j).fma(b, e)).intoArray(dx, xo + j);
                        }
                        for (; j < hw; j++) dx[xo + j] = a * (y[xo + j] > 0f ? dy[xo + j] : 0f) + b * x[xo + j] + e;
                    }
                }
            }
        });
    }
}
