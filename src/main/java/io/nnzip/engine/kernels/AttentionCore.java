package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention of every (batch, head) straight from the packed qkv projection, for the small
 * sequences of vision and toy language transformers.
 * <pre>
 * qkv: (B, N, 3, H, D)   q, k, v = qkv[:, :, 0|1|2]            keep: (N, N) or null (false → −∞ before softmax)
 * y:   (B, N, H, D)      y[b, i, h] = Σ_j softmax_j(scale · q[b,i,h]·k[b,j,h]) · v[b,j,h]
 * </pre>
 * The exporter's head split (Reshape → Transpose → Split → Squeeze), kᵀ, the two batched MatMuls, the scale, the
 * mask, the Softmax and the head merge (Transpose) become strided reads and writes of one pass: per (b, h) kᵀ is
 * copied once into a (D, N) scratch so a score row is N-wide vector FMAs, and the output row D-wide ones.
 */
public final class AttentionCore {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private AttentionCore() {}

    public static void run(float[] qkv, float[] y, int batch, int n, int heads, int d, float scale, boolean[] keep, Parallel par) {
        int pairs = batch * heads;
        par.forRange(pairs, Math.max(1, 4096 / Math.max(1, n * n * d)), (lo, hi) -> {
            float[] kt = new float[d * n], s = new float[n];
            for (int p = lo; p < hi; p++) head(qkv, y, p / heads, p % heads, n, heads, d, scale, keep, kt, s);
        });
    }

    private static void head(float[] qkv, float[] y, int b, int h, int n, int heads, int d, float scale, boolean[] keep, float[] kt, float[] s) {
        int row = 3 * heads * d, base = b * n * row + h * d;
        int qOff = base, kOff = base + heads * d, vOff = base + 2 * heads * d;
        for (int j = 0; j < n; j++) for (int c = 0; c < d; c++) kt[c * n + j] = qkv[kOff + j * row + c];
        int L = S.length(), nEnd = S.loopBound(n), dEnd = S.loopBound(d);
        for (int i = 0; i < n; i++) {
            int qi = qOff + i * row;
            // s = scale · q_i kᵀ, n-wide
            int j = 0;
            for (; j < nEnd; j += L) {
                FloatVector acc = FloatVector.zero(S);
                for (int c = 0; c < d; c++) acc = FloatVector.fromArray(S, kt, c * n + j).fma(FloatVector.broadcast(S, qkv[qi + c]), acc);
                acc.mul(scale).intoArray(s, j);
            }
            for (; j < n; j++) {
                float acc = 0;
                for (int c = 0; c < d; c++) acc += qkv[qi + c] * kt[c * n + j];
                s[j] = acc * scale;
            }
            if (keep != null) for (j = 0; j < n; j++) if (!keep[i * n + j]) s[j] = Float.NEGATIVE_INFINITY;
            softmax(s, n, nEnd);
            // y_i = Σ_j s_j v_j, d-wide
            int yi = ((b * n + i) * heads + h) * d, c = 0;
            for (; c < dEnd; c += L) {
                FloatVector acc = FloatVector.zero(S);
                for (j = 0; j < n; j++) acc = FloatVector.fromArray(S, qkv, vOff + j * row + c).fma(FloatVector.broadcast(S, s[j]), acc);
                acc.intoArray(y, yi + c);
            }
            for (; c < d; c++) {
                float acc = 0;
                for (j = 0; j < n; j++) acc += s[j] * qkv[vOff + j * row + c];
                y[yi + c] = acc;
            }
        }
    }

    /** In place over s[0, n); a row masked everywhere gives NaN, as Softmax of all −∞ does. */
    private static void softmax(float[] s, int n, int end) {
        int L = S.length(), j = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (; j < end; j += L) max = Math.max(max, FloatVector.fromArray(S, s, j).reduceLanes(VectorOperators.MAX));
        for (; j < n; j++) max = Math.max(max, s[j]);
        float sum = 0;
        for (j = 0; j < end; j += L) {
            FloatVector e = FloatVector.fromArray(S, s, j).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(s, j);
            sum += e.reduceLanes(VectorOperators.ADD);
        }
        for (; j < n; j++) {
            s[j] = (float) Math.exp(s[j] - max);
            sum += s[j];
        }
        float inv = 1 / sum;
        for (j = 0; j < end; j += L) FloatVector.fromArray(S, s, j).mul(inv).intoArray(s, j);
        for (; j < n; j++) s[j] *= inv;
    }
}
