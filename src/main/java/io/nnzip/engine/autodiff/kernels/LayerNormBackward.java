package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;

/**
 * Backward of layer normalization over the last {@code len} elements of each row, statistics recomputed from x.
 * <pre>
 * x, dy: (rows, len), scale: (len) -> dx: (rows, len), dScale, dBias: (len)
 * x̂ = (x − μ)·r with r = 1/√(σ² + ε);  g = dy·scale;  dx = r·(g − mean(g) − x̂·mean(g·x̂))
 * dScale = Σ_rows dy·x̂,  dBias = Σ_rows dy
 * </pre>
 * Rows run in parallel; each chunk sums its own dScale/dBias and the chunks are added at the end.
 */
public final class LayerNormBackward {
    private LayerNormBackward() {}

    /** Any of dx, dScale, dBias may be null (not wanted). */
    public static void run(float[] x, float[] scale, float[] dy, int rows, int len, float eps,
                           float[] dx, float[] dScale, float[] dBias, Parallel par) {
        int chunks = Math.max(1, Math.min(par.threads() * 4, rows));
        float[][] ps = new float[chunks][], pb = new float[chunks][];
        par.forRange(chunks, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int lo = (int) ((long) rows * c / chunks), hi = (int) ((long) rows * (c + 1) / chunks);
                float[] s = dScale == null ? null : (ps[c] = new float[len]), b = dBias == null ? null : (pb[c] = new float[len]);
                float[] xh = new float[len];
                for (int row = lo; row < hi; row++) rowBackward(x, scale, dy, row * len, len, eps, xh, dx, s, b);
            }
        });
        if (dScale != null) sum(ps, dScale);
        if (dBias != null) sum(pb, dBias);
    }

    private static void rowBackward(float[] x, float[] scale, float[] dy, int o, int len, float eps, float[] xh,
                                    float[] dx, float[] s, float[] b) {
        double sum = 0;
        for (int i = 0; i < len; i++) sum += x[o + i];
        float mu = (float) (sum / len);
        double sq = 0;
        for (int i = 0; i < len; i++) {
            float d = x[o + i] - mu;
            sq += d * d;
        }
        float r = (float) (1 / Math.sqrt(sq / len + eps));
        float mg = 0, mgx = 0;
        for (int i = 0; i < len; i++) {
            float h = (x[o + i] - mu) * r, g = dy[o + i] * scale[i];
            xh[i] = h;
            mg += g;
            mgx += g * h;
            if (s != null) s[i] += dy[o + i] * h;
            if (b != null) b[i] += dy[o + i];
        }
        if (dx == null) return;
        mg /= len;
        mgx /= len;
        for (int i = 0; i < len; i++) dx[o + i] = r * (dy[o + i] * scale[i] - mg - xh[i] * mgx);
    }

    private static void sum(float[][] parts, float[] into) {
        java.util.Arrays.fill(into, 0f);
        for (float[] p : parts) if (p != null) for (int i = 0; i < into.length; i++) into[i] += p[i];
    }
}
