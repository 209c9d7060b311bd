package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Any of dx, dScale, dBias may be null (not wanted). */
    public static void run(float[] x, float[] scale, float[] dy, int rows, int len, float eps,
                           float[] dx, float[] dScale, float[] dBias, Parallel par) {
        int chunks = Math.max(1, Math.min(par.threads() * 4, rows));
        float[][] ps = new float[chunks][], pb = new float[chunks][];
        par.forRange(chunks, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int lo = (int) ((long) rows * c / chunks), hi = (int) ((long) rows * (c + 1) / chunks);
                float[] s = dScale == null ? null : (ps[c] = new float[len]), b = dBias == null ? null : (pb[c] = new float[len]);
                for (int row = lo; row < hi; row++) rowBackward(x, scale, dy, row * len, len, eps, dx, s, b);
            }
        });
        if (dScale != null) sum(ps, dScale);
        if (dBias != null) sum(pb, dBias);
    }

    private static void rowBackward(float[] x, float[] scale, float[] dy, int o, int len, float eps, float[] dx, float[] s, float[] b) {
        int L = S.length(), end = S.loopBound(len), i = 0;
        double sum = VecSums.sum(x, o, len);
        float mu = (float) (sum / len);
        FloatVector acc = FloatVector.zero(S);
        for (; i < end; i += L) {
            FloatVector d = FloatVector.fromArray(S, x, o + i).sub(mu);
            acc = d.fma(d, acc);
        }
        double sq = LaneSum.of(acc);
        for (; i < len; i++) sq += (x[o + i] - mu) * (x[o + i] - mu);
        float r = (float) (1 / Math.sqrt(sq / len + eps));
        // x̂ = (x − μ)·r, g = dy·scale: mean(g), mean(g·x̂), and the parameter sums
        FloatVector vg = FloatVector.zero(S), vgx = vg;
        for (i = 0; i < end; i += L) {
            FloatVector h = FloatVector.fromArray(S, x, o + i).sub(mu).mul(r), d = FloatVector.fromArray(S, dy, o + i);
            FloatVector g = d.mul(FloatVector.fromArray(S, scale, i));
            vg = vg.add(g);
            vgx = g.fma(h, vgx);
            if (s != null) d.fma(h, FloatVector.fromArray(S, s, i)).intoArray(s, i);
            if (b != null) d.add(FloatVector.fromArray(S, b, i)).intoArray(b, i);
        }
        FloatVector sums = LaneSum.two(vg, vgx);
        float mg = LaneSum.first(sums), mgx = LaneSum.second(sums);;
        for (; i < len; i++) {
            float h = (x[o + i] - mu) * r, g = dy[o + i] * scale[i];
            mg += g;
            mgx += g * h;
            if (s != null) s[i] += dy[o + i] * h;
            if (b != null) b[i] += dy[o + i];
        }
        if (dx == null) return;
        mg /= len;
        mgx /= len;
        for (i = 0; i < end; i += L) {
            FloatVector h = FloatVector.fromArray(S, x, o + i).sub(mu).mul(r);
            FloatVector g = FloatVector.fromArray(S, dy, o + i).mul(FloatVector.fromArray(S, scale, i));
            g.sub(mg).sub(h.mul(mgx)).mul(r).intoArray(dx, o + i);
        }
        for (; i < len; i++) dx[o + i] = r * (dy[o + i] * scale[i] - mg - (x[o + i] - mu) * r * mgx);
    }

    private static void sum(float[][] parts, float[] into) {
        java.util.Arrays.fill(into, 0f);
        for (float[] p : parts) if (p != null) for (int i = 0; i < into.length; i++) into[i] += p[i];
    }
}
