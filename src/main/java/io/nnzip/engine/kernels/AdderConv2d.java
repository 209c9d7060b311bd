package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The adder convolution of AdderNet (Chen et al., CVPR 2020): each output is minus the L1 distance between the
 * filter and the input patch under it, y[n,k,p,q] = −Σ_{c,r,s} |x[n,c,p·sh+r·dh−pt, q·sw+s·dw−pl] − w[k,c,r,s]|,
 * with zeros in the padding (so a padded tap adds |w|). Group 1 only. Each image's patches are laid out as rows
 * (P·Q, C·R·S), so the distance is a contiguous vector reduction against a filter row.
 * <p>Backward as in the paper: the filter gets the full-precision gradient ∂y/∂w = x − w (not the sign), the input
 * the HardTanh-clipped one ∂y/∂x = HT(w − x), which keeps the magnitudes flowing to earlier layers bounded.
 * <pre>x: (N,C,H,W), w: (K,C,R,S) -> y: (N,K,P,Q)</pre>
 */
public final class AdderConv2d {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private AdderConv2d() {}

    public static void forward(ConvGeometry g, float[] x, float[] w, float[] y, Parallel par) {
        int k = g.k(), pq = g.p() * g.q(), crs = g.colRows();
        par.forRange(g.n(), (lo, hi) -> {
            float[] col = new float[pq * crs];
            for (int img = lo; img < hi; img++) {
                patches(g, x, img, col);
                int yo = img * k * pq;
                int i = 0;
                for (; i + 4 <= pq; i += 4)
                    for (int o = 0; o < k; o++) distances4(col, i * crs, crs, w, o * crs, y, yo + o * pq + i);
                for (; i < pq; i++)
                    for (int o = 0; o < k; o++) y[yo + o * pq + i] = -distance(col, i * crs, w, o * crs, crs);
            }
        });
    }

    /**
     * Gradients given dy (N,K,P,Q): dx (N,C,H,W) = col2im(Σ_k dy·HT(w − x)) and dw (K,C,R,S) = Σ dy·(x − w);
     * either may be null (not wanted). dx and dw are overwritten.
     */
    public static void backward(ConvGeometry g, float[] x, float[] w, float[] dy, float[] dx, float[] dw, Parallel par) {
        int n = g.n(), k = g.k(), pq = g.p() * g.q(), crs = g.colRows();
        if (dx != null) java.util.Arrays.fill(dx, 0f);
        int threads = Math.max(1, Math.min(par.threads(), n));
        float[][] dwParts = dw == null ? null : new float[threads][];
        double[][] dySums = dw == null ? null : new double[threads][];
        java.util.concurrent.atomic.AtomicInteger parts = new java.util.concurrent.atomic.AtomicInteger();
        par.forChunks(n, threads, (lo, hi) -> {
            int part = parts.getAndIncrement();
            float[] col = new float[pq * crs], dcol = dx == null ? null : new float[pq * crs];
            float[] dwp = dw == null ? null : new float[k * crs];
            double[] sums = dw == null ? null : new double[k];
            for (int img = lo; img < hi; img++) {
                patches(g, x, img, col);
                int yo = img * k * pq;
                if (dwp != null) {
                    // Σ_pq dy[k,pq]·col[pq,crs]; the −w·Σdy part is added once at the end
                    Sgemm.gemm(false, false, k, crs, pq, 1f, dy, yo, pq, col, 0, crs, 1f, dwp, 0, crs, par); // nested: runs on this thread
                    for (int o = 0; o < k; o++) {
                        double s = 0;
                        for (int i = 0; i < pq; i++) s += dy[yo + o * pq + i];
                        sums[o] += s;
                    }
                }
                if (dcol != null) {
                    for (int i = 0; i < pq; i++) clippedRow(dy, yo + i, pq, k, w, col, dcol, i * crs, crs);
                    col2im(g, dcol, dx, img);
                }
            }
            if (dwp != null) {
                dwParts[part] = dwp;
                dySums[part] = sums;
            }
        });
        if (dw == null) return;
        java.util.Arrays.fill(dw, 0f);
        double[] total = new double[k];
        for (int t = 0; t < threads; t++) {
            if (dwParts[t] == null) continue;
            for (int i = 0; i < dw.length; i++) dw[i] += dwParts[t][i];
            for (int o = 0; o < k; o++) total[o] += dySums[t][o];
        }
        for (int o = 0; o < k; o++) for (int j = 0; j < crs; j++) dw[o * crs + j] -= (float) (w[o * crs + j] * total[o]);
    }

    /** Rows (P·Q) of patches (C·R·S) of image {@code img}, zero where the window reaches into the padding. */
    static void patches(ConvGeometry g, float[] x, int img, float[] col) {
        int c = g.c(), h = g.h(), wd = g.w(), r = g.r(), s = g.s(), p = g.p(), q = g.q(), crs = c * r * s;
        for (int oy = 0; oy < p; oy++)
            for (int ox = 0; ox < q; ox++) {
                int row = (oy * q + ox) * crs;
                for (int ch = 0; ch < c; ch++) {
                    int xb = (img * c + ch) * h;
                    for (int a = 0; a < r; a++) {
                        int iy = oy * g.strideH() - g.padTop() + a * g.dilH(), at = row + (ch * r + a) * s;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(col, at, at + s, 0f);
                            continue;
                        }
                        for (int b = 0; b < s; b++) {
                            int ix = ox * g.strideW() - g.padLeft() + b * g.dilW();
                            col[at + b] = ix < 0 || ix >= wd ? 0f : x[(xb + iy) * wd + ix];
                        }
                    }
                }
            }
    }

    /** Adds each patch row's gradient back onto the input positions it was read from. */
    static void col2im(ConvGeometry g, float[] dcol, float[] dx, int img) {
        int c = g.c(), h = g.h(), wd = g.w(), r = g.r(), s = g.s(), p = g.p(), q = g.q(), crs = c * r * s;
        for (int oy = 0; oy < p; oy++)
            for (int ox = 0; ox < q; ox++) {
                int row = (oy * q + ox) * crs;
                for (int ch = 0; ch < c; ch++) {
                    int xb = (img * c + ch) * h;
                    for (int a = 0; a < r; a++) {
                        int iy = oy * g.strideH() - g.padTop() + a * g.dilH();
                        if (iy < 0 || iy >= h) continue;
                        for (int b = 0; b < s; b++) {
                            int ix = ox * g.strideW() - g.padLeft() + b * g.dilW();
                            if (ix >= 0 && ix < wd) dx[(xb + iy) * wd + ix] += dcol[row + (ch * r + a) * s + b];
                        }
                    }
                }
            }
    }

    static float distance(float[] a, int ao, float[] b, int bo, int len) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0, up = S.loopBound(len);
        for (; i < up; i += S.length()) acc = acc.add(FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i)).abs());
        float sum = LaneSum.of(acc);
        for (; i < len; i++) sum += Math.abs(a[ao + i] - b[bo + i]);
        return sum;
    }

    /** y[yo + j] = −‖col row (i + j) − filter‖₁ for j < 4: the filter chunk is loaded once for four rows. */
    private static void distances4(float[] col, int ao, int len, float[] w, int wo, float[] y, int yo) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0, up = S.loopBound(len);
        for (; i < up; i += S.length()) {
            FloatVector f = FloatVector.fromArray(S, w, wo + i);
            a0 = a0.add(FloatVector.fromArray(S, col, ao + i).sub(f).abs());
            a1 = a1.add(FloatVector.fromArray(S, col, ao + len + i).sub(f).abs());
            a2 = a2.add(FloatVector.fromArray(S, col, ao + 2 * len + i).sub(f).abs());
            a3 = a3.add(FloatVector.fromArray(S, col, ao + 3 * len + i).sub(f).abs());
        }
        FloatVector sums = LaneSum.four(a0, a1, a2, a3);
        float s0 = sums.lane(LaneSum.lane4(0)), s1 = sums.lane(LaneSum.lane4(1));
        float s2 = sums.lane(LaneSum.lane4(2)), s3 = sums.lane(LaneSum.lane4(3));
        for (; i < len; i++) {
            float f = w[wo + i];
            s0 += Math.abs(col[ao + i] - f);
            s1 += Math.abs(col[ao + len + i] - f);
            s2 += Math.abs(col[ao + 2 * len + i] - f);
            s3 += Math.abs(col[ao + 3 * len + i] - f);
        }
        y[yo] = -s0;
        y[yo + 1] = -s1;
        y[yo + 2] = -s2;
        y[yo + 3] = -s3;
    }

    /** 2·clamp(t, −1, 1) as |t + 1| − |t − 1|: abs is one instruction, vector max/min with Java's NaN rules are several. */
    private static FloatVector clip(FloatVector t, FloatVector one) { return t.add(one).abs().sub(t.sub(one).abs()); }

    /**
     * One patch row's input gradient, dcol[o + j] = Σ_k dy[k]·clamp(w[k, j] − col[o + j], −1, 1) with dy[k] at
     * {@code dy[dyo + k·stride]}: blocks of four vectors of the row stay in registers while the filters stream past.
     */
    private static void clippedRow(float[] dy, int dyo, int stride, int k, float[] w, float[] col, float[] dcol, int o, int len) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int l = S.length(), j = 0;
        for (; j + 4 * l <= len; j += 4 * l) {
            FloatVector x0 = FloatVector.fromArray(S, col, o + j), x1 = FloatVector.fromArray(S, col, o + j + l);
            FloatVector x2 = FloatVector.fromArray(S, col, o + j + 2 * l), x3 = FloatVector.fromArray(S, col, o + j + 3 * l);
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int kk = 0; kk < k; kk++) {
                float d = dy[dyo + kk * stride];
                if (d == 0f) continue;
                FloatVector dv = FloatVector.broadcast(S, 0.5f * d);
                int wo = kk * len + j;
                a0 = clip(FloatVector.fromArray(S, w, wo).sub(x0), one).fma(dv, a0);
                a1 = clip(FloatVector.fromArray(S, w, wo + l).sub(x1), one).fma(dv, a1);
                a2 = clip(FloatVector.fromArray(S, w, wo + 2 * l).sub(x2), one).fma(dv, a2);
                a3 = clip(FloatVector.fromArray(S, w, wo + 3 * l).sub(x3), one).fma(dv, a3);
            }
            a0.intoArray(dcol, o + j);
            a1.intoArray(dcol, o + j + l);
            a2.intoArray(dcol, o + j + 2 * l);
            a3.intoArray(dcol, o + j + 3 * l);
        }
        for (; j < len; j++) {
            float x = col[o + j], acc = 0f;
            for (int kk = 0; kk < k; kk++) acc += dy[dyo + kk * stride] * Math.max(-1f, Math.min(1f, w[kk * len + j] - x));
            dcol[o + j] = acc;
        }
    }
}
