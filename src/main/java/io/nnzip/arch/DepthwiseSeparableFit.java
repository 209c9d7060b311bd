package io.nnzip.arch;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.Sgemm;
import io.nnzip.lowrank.ConvSite;
import io.nnzip.util.linalg.Cholesky;
import io.nnzip.util.linalg.Matrix;
import io.nnzip.util.linalg.Svd;
import java.util.SplittableRandom;

/**
 * Fits a depthwise k×k convolution D (C,1,k,k) followed by a pointwise convolution P (K,C) + b to an original
 * convolution W (K,C,k,k). Start (data-free): for each input channel c the best rank-1 approximation of the K×k²
 * slice W[:,c] = σ·u·vᵀ gives D[c] = v and P[:,c] = σ·u, the closest depthwise-separable kernel to W. Then
 * alternating least squares on calibration data, each step exact: with D fixed, (P, b) is a linear regression of
 * the original outputs on the depthwise outputs; with P fixed, D solves the normal equations
 * ((PᵀP)[c,c']·S[(c,i),(c',j)]) d = h, where S is the Gram matrix of the input patches. Positions are sampled so
 * the cost does not grow with the calibration set.
 * <pre>x: (N,C,H,W) -> dw: (N,C,P,Q) -> y: (N,K,P,Q)</pre>
 */
public final class DepthwiseSeparableFit {
    public final float[] depthwise;  // (C,1,R,S)
    public final float[] pointwise;  // (K,C,1,1)
    public final float[] bias;       // (K)
    public final double errorBefore, errorAfter;

    private DepthwiseSeparableFit(float[] d, float[] p, float[] b, double before, double after) {
        depthwise = d;
        pointwise = p;
        bias = b;
        errorBefore = before;
        errorAfter = after;
    }

    /**
     * @param x the layer's input on calibration data (N,C,H,W)
     * @param y the original layer's output on calibration data (N,K,P,Q), bias included
     */
    public static DepthwiseSeparableFit fit(ConvSite s, float[] origBias, float[] x, int n, float[] y, int iterations, int maxPositions, long seed) {
        int k = s.k(), c = s.c(), kk = s.r() * s.s();
        double[] d = new double[c * kk];
        Matrix p = new Matrix(k, c);
        double[] b = new double[k];
        init(s, origBias, d, p, b);
        // sampled output positions: patches (pos, c·kk) and targets (pos, K)
        int positions = Math.min(maxPositions, n * s.p() * s.q());
        int[] pick = samplePositions(n * s.p() * s.q(), positions, seed);
        float[] patches = new float[positions * c * kk];
        double[] target = new double[positions * k];
        extract(s, x, y, pick, patches, target);
        double before = error(patches, target, d, p, b, positions, c, kk, k);
        // S = patchesᵀ·patches, fixed for all iterations
        float[] sf = new float[c * kk * c * kk];
        Sgemm.gemm(true, false, c * kk, c * kk, positions, 1f, patches, 0, c * kk, patches, 0, c * kk, 0f, sf, 0, c * kk, Parallel.common());
        for (int it = 0; it < iterations; it++) {
            fitPointwise(patches, target, d, p, b, positions, c, kk, k);
            fitDepthwise(patches, sf, target, d, p, b, positions, c, kk, k);
        }
        fitPointwise(patches, target, d, p, b, positions, c, kk, k);
        double after = error(patches, target, d, p, b, positions, c, kk, k);
        float[] df = new float[d.length], pf = p.toFloats(), bf = new float[k];
        for (int i = 0; i < d.length; i++) df[i] = (float) d[i];
        for (int i = 0; i < k; i++) bf[i] = (float) b[i];
        return new DepthwiseSeparableFit(df, pf, bf, before, after);
    }

    /** The data-free start alone: per-channel rank-1 approximations of the kernel; no output errors measured. */
    public static DepthwiseSeparableFit dataFree(ConvSite s, float[] origBias) {
        int k = s.k(), c = s.c(), kk = s.r() * s.s();
        double[] d = new double[c * kk];
        Matrix p = new Matrix(k, c);
        double[] b = new double[k];
        init(s, origBias, d, p, b);
        float[] df = new float[d.length], bf = new float[k];
        for (int i = 0; i < d.length; i++) df[i] = (float) d[i];
        for (int i = 0; i < k; i++) bf[i] = (float) b[i];
        return new DepthwiseSeparableFit(df, p.toFloats(), bf, Double.NaN, Double.NaN);
    }

    private static void init(ConvSite s, float[] origBias, double[] d, Matrix p, double[] b) {
        int k = s.k(), c = s.c(), kk = s.r() * s.s();
        float[] w = s.w();
        for (int ch = 0; ch < c; ch++) {
            Matrix slice = new Matrix(k, kk);
            for (int o = 0; o < k; o++) for (int t = 0; t < kk; t++) slice.set(o, t, w[(o * c + ch) * kk + t]);
            Svd svd = Svd.of(slice);
            for (int t = 0; t < kk; t++) d[ch * kk + t] = svd.v.get(t, 0);
            for (int o = 0; o < k; o++) p.set(o, ch, svd.u.get(o, 0) * svd.s[0]);
        }
        for (int o = 0; o < k; o++) b[o] = origBias == null ? 0 : origBias[o];
    }

    static int[] samplePositions(int total, int count, long seed) {
        int[] idx = new int[total];
        for (int i = 0; i < total; i++) idx[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            int j = i + r.nextInt(total - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return java.util.Arrays.copyOf(idx, count);
    }

    private static void extract(ConvSite s, float[] x, float[] y, int[] pick, float[] patches, double[] target) {
        int c = s.c(), h = s.h(), wd = s.wIn(), pp = s.p(), q = s.q(), r = s.r(), ss = s.s(), k = s.k(), kk = r * ss;
        long[] st = s.strides(), pd = s.pads(), dl = s.dilations();
        for (int i = 0; i < pick.length; i++) {
            int pos = pick[i], img = pos / (pp * q), oy = (pos / q) % pp, ox = pos % q;
            for (int ch = 0; ch < c; ch++)
                for (int a = 0; a < r; a++)
                    for (int bb = 0; bb < ss; bb++) {
                        int iy = (int) (oy * st[0] - pd[0] + a * dl[0]), ix = (int) (ox * st[1] - pd[1] + bb * dl[1]);
                        float v = iy < 0 || iy >= h || ix < 0 || ix >= wd ? 0f : x[((img * c + ch) * h + iy) * wd + ix];
                        patches[(i * c + ch) * kk + a * ss + bb] = v;
                    }
            for (int o = 0; o < k; o++) target[i * k + o] = y[((img * k + o) * pp + oy) * q + ox];
        }
    }

    /** Depthwise outputs at the sampled positions: z[pos][c] = Σ_t d[c,t]·patch[pos][c,t]. */
    private static double[] depthwiseOut(float[] patches, double[] d, int positions, int c, int kk) {
        double[] z = new double[positions * c];
        for (int i = 0; i < positions; i++)
            for (int ch = 0; ch < c; ch++) {
                double sum = 0;
                int off = (i * c + ch) * kk;
                for (int t = 0; t < kk; t++) sum += d[ch * kk + t] * patches[off + t];
                z[i * c + ch] = sum;
            }
        return z;
    }

    private static void fitPointwise(float[] patches, double[] target, double[] d, Matrix p, double[] b, int positions, int c, int kk, int k) {
        double[] z = depthwiseOut(patches, d, positions, c, kk);
        int m = c + 1;
        Matrix g = new Matrix(m, m), rhs = new Matrix(m, k);
        double[] row = new double[m];
        for (int i = 0; i < positions; i++) {
            System.arraycopy(z, i * c, row, 0, c);
            row[c] = 1;
            for (int a = 0; a < m; a++) {
                double ra = row[a];
                if (ra == 0) continue;
                for (int bb = a; bb < m; bb++) g.a[a * m + bb] += ra * row[bb];
                for (int o = 0; o < k; o++) rhs.a[a * k + o] += ra * target[i * k + o];
            }
        }
        for (int a = 0; a < m; a++) for (int bb = 0; bb < a; bb++) g.a[a * m + bb] = g.a[bb * m + a];
        Matrix sol = Cholesky.solve(g, rhs, 1e-8);
        for (int o = 0; o < k; o++) {
            for (int ch = 0; ch < c; ch++) p.set(o, ch, sol.get(ch, o));
            b[o] = sol.get(c, o);
        }
    }

    private static void fitDepthwise(float[] patches, float[] sf, double[] target, double[] d, Matrix p, double[] b, int positions, int c, int kk, int k) {
        int m = c * kk;
        Matrix ptp = p.gram();
        Matrix g = new Matrix(m, m);
        for (int a = 0; a < m; a++) {
            int ca = a / kk;
            for (int bb = 0; bb < m; bb++) g.a[a * m + bb] = ptp.get(ca, bb / kk) * sf[a * m + bb];
        }
        // h[(c,t)] = Σ_pos patch[pos][c,t]·(Pᵀ(y − b))[pos][c]
        Matrix rhs = new Matrix(m, 1);
        double[] resid = new double[k];
        double[] tc = new double[c];
        for (int i = 0; i < positions; i++) {
            for (int o = 0; o < k; o++) resid[o] = target[i * k + o] - b[o];
            for (int ch = 0; ch < c; ch++) {
                double sum = 0;
                for (int o = 0; o < k; o++) sum += p.get(o, ch) * resid[o];
                tc[ch] = sum;
            }
            for (int ch = 0; ch < c; ch++) {
                int off = (i * c + ch) * kk;
                for (int t = 0; t < kk; t++) rhs.a[ch * kk + t] += patches[off + t] * tc[ch];
            }
        }
        Matrix sol = Cholesky.solve(g, rhs, 1e-8);
        System.arraycopy(sol.a, 0, d, 0, m);
    }

    /** Relative error ‖y − ŷ‖/‖y‖ over the sampled positions. */
    private static double error(float[] patches, double[] target, double[] d, Matrix p, double[] b, int positions, int c, int kk, int k) {
        double[] z = depthwiseOut(patches, d, positions, c, kk);
        double e = 0, nrm = 0;
        for (int i = 0; i < positions; i++)
            for (int o = 0; o < k; o++) {
                double v = b[o];
                for (int ch = 0; ch < c; ch++) v += p.get(o, ch) * z[i * c + ch];
                double t = target[i * k + o];
                e += (v - t) * (v - t);
                nrm += t * t;
            }
        return Math.sqrt(e / Math.max(nrm, 1e-300));
    }
}
