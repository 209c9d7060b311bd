package io.nnzip.quant.weight;

/**
 * Bit-split and stitching (Wang et al., ICML 2020), post-training, on one layer's weight matrix. A B-bit signed
 * weight is α·q with q = Σ_{i<M} 2^i·β_i, M = B − 1 and every bit plane β_i ∈ {−1, 0, 1}: the integer is split into
 * M ternary planes, each plane is optimized with the others fixed, the scale α in closed form, and the planes are
 * stitched back into q ∈ [−(2^M − 1), 2^M − 1]. The objective is the layer's output error on calibration inputs,
 * (w − αq)ᵀ H (w − αq) per output channel with H = Σ x xᵀ (identity without data: the weight error). A plane
 * element moves q by ±2^i, not only ±1, so the search leaves the nearest-rounding point where a far level pays.
 * Every step is exact coordinate descent, so the error never rises above that of the rounding it starts from.
 */
public final class BitSplit {
    /** Integer codes (rows × cols, row-major), α per row, and the planes they were stitched from ([plane][rows × cols]). */
    public record Result(int[] q, float[] alpha, byte[][] planes, int bits) {
        public float[] decoded() {
            int cols = q.length / alpha.length;
            float[] d = new float[q.length];
            for (int i = 0; i < q.length; i++) d[i] = q[i] * alpha[i / cols];
            return d;
        }
    }

    private BitSplit() {}

    /** The largest integer of a B-bit bit-split code: 2^(B−1) − 1. */
    public static int qmax(int bits) { return (1 << (bits - 1)) - 1; }

    /** Σ 2^i·planes[i][k]: the stitched integers. */
    public static int[] stitch(byte[][] planes) {
        int[] q = new int[planes[0].length];
        for (int i = 0; i < planes.length; i++) for (int k = 0; k < q.length; k++) q[k] += planes[i][k] << i;
        return q;
    }

    /** Sign-magnitude split of integers with |q| < 2^m into m planes of {−1, 0, 1}. */
    public static byte[][] split(int[] q, int m) {
        byte[][] p = new byte[m][q.length];
        for (int k = 0; k < q.length; k++) {
            int a = Math.abs(q[k]), s = q[k] < 0 ? -1 : 1;
            for (int i = 0; i < m; i++) if ((a >> i & 1) != 0) p[i][k] = (byte) s;
        }
        return p;
    }

    /**
     * @param w     rows × cols (outputs × inputs), row-major
     * @param h     cols × cols Σ x xᵀ of the inputs, row-major; null = identity
     * @param iters rounds of (α, every plane) updates
     */
    public static Result quantize(float[] w, int rows, int cols, double[] h, int bits, int iters) {
        if (bits < 2 || bits > 8) throw new IllegalArgumentException("bit-split needs 2..8 bits");
        int m = bits - 1, qm = qmax(bits);
        int[] q = new int[w.length];
        float[] alpha = new float[rows];
        double[] diag = new double[cols];
        for (int j = 0; j < cols; j++) diag[j] = h == null ? 1 : h[j * cols + j];
        byte[][] planes = new byte[m][w.length];
        double[] wr = new double[cols], r = new double[cols], g = new double[cols];
        int[] qr = new int[cols];
        for (int row = 0; row < rows; row++) {
            int o = row * cols;
            double max = 0;
            for (int j = 0; j < cols; j++) {
                wr[j] = w[o + j];
                max = Math.max(max, Math.abs(wr[j]));
            }
            if (max == 0) continue;
            // start: the best of a few clipped ranges with nearest rounding (the plain-rounding point, or better)
            double best = Double.MAX_VALUE, a = max / qm;
            for (double clip = 1.0; clip >= 0.499; clip -= 0.05) {
                double s = clip * max / qm;
                round(wr, s, qm, qr);
                double e = error(wr, qr, s, h, diag, r, g);
                if (e < best) {
                    best = e;
                    a = s;
                }
            }
            round(wr, a, qm, qr);
            byte[][] p = split(qr, m);
            for (int it = 0; it < iters; it++) {
                a = bestScale(wr, qr, h, diag, a);
                residualGradient(wr, qr, a, h, r, g);
                boolean moved = false;
                for (int i = m - 1; i >= 0; i--) {
                    int step = 1 << i;
                    for (int j = 0; j < cols; j++) {
                        int cur = p[i][j], bestB = cur;
                        double bestD = 0;
                        for (int b = -1; b <= 1; b++) {
                            if (b == cur) continue;
                            int nq = qr[j] + (b - cur) * step;
                            if (nq > qm || nq < -qm) continue;
                            double d = a * (b - cur) * step;
                            // f(r − d e_j) − f(r) = −2 d g_j + d² H_jj
                            double df = -2 * d * g[j] + d * d * diag[j];
                            if (df < bestD - 1e-15 * Math.abs(best)) {
                                bestD = df;
                                bestB = b;
                            }
                        }
                        if (bestB == cur) continue;
                        double d = a * (bestB - cur) * step;
                        qr[j] += (bestB - cur) * step;
                        p[i][j] = (byte) bestB;
                        r[j] -= d;
                        if (h == null) g[j] -= d;
                        else for (int k = 0; k < cols; k++) g[k] -= d * h[k * cols + j];
                        moved = true;
                    }
                }
                if (!moved && it > 0) break;
            }
            a = bestScale(wr, qr, h, diag, a);
            alpha[row] = (float) a;
            for (int j = 0; j < cols; j++) q[o + j] = qr[j];
            for (int i = 0; i < m; i++) System.arraycopy(p[i], 0, planes[i], o, cols);
        }
        return new Result(q, alpha, planes, bits);
    }

    /** Symmetric nearest rounding at scale s, clipped to ±qm. */
    public static void round(double[] w, double s, int qm, int[] q) {
        for (int j = 0; j < w.length; j++) q[j] = (int) Math.max(-qm, Math.min(qm, Math.round(w[j] / s)));
    }

    /** α minimizing (w − αq)ᵀ H (w − αq): qᵀHw / qᵀHq (keeps {@code fallback} when q carries nothing). */
    static double bestScale(double[] w, int[] q, double[] h, double[] diag, double fallback) {
        int n = w.length;
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            if (q[i] == 0) continue;
            if (h == null) {
                num += q[i] * w[i];
                den += (double) q[i] * q[i];
                continue;
            }
            int o = i * n;
            double hw = 0, hq = 0;
            for (int k = 0; k < n; k++) {
                hw += h[o + k] * w[k];
                hq += h[o + k] * q[k];
            }
            num += q[i] * hw;
            den += q[i] * hq;
        }
        return den > 0 && num > 0 ? num / den : fallback;
    }

    /** r = w − a·q, g = H r. */
    static void residualGradient(double[] w, int[] q, double a, double[] h, double[] r, double[] g) {
        int n = w.length;
        for (int j = 0; j < n; j++) r[j] = w[j] - a * q[j];
        if (h == null) {
            System.arraycopy(r, 0, g, 0, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            double s = 0;
            int o = i * n;
            for (int k = 0; k < n; k++) s += h[o + k] * r[k];
            g[i] = s;
        }
    }

    /** (w − a q)ᵀ H (w − a q), using r and g as scratch. */
    static double error(double[] w, int[] q, double a, double[] h, double[] diag, double[] r, double[] g) {
        residualGradient(w, q, a, h, r, g);
        double e = 0;
        for (int j = 0; j < w.length; j++) e += r[j] * g[j];
        return e;
    }
}
