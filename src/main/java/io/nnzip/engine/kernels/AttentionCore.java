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
 * add: (B|1, H|1, N|1, N) or null, added to the scaled scores (an attention mask written as −10⁴ or float's lowest)
 * y:   (B, N, H, D)      y[b, i, h] = Σ_j softmax_j(scale · q[b,i,h]·k[b,j,h] + add[b,h,i,j]) · v[b,j,h]
 * </pre>
 * The exporter's head split (Reshape → Transpose → Split → Squeeze), kᵀ, the two batched MatMuls, the scale, the
 * mask, the Softmax and the head merge (Transpose) become strided reads and writes of one pass: per (b, h) kᵀ is
 * copied once into a (D, N) scratch so a score row is N-wide vector FMAs, and the output row D-wide ones. Four
 * query rows go together (scores, then output): with D and N near one vector width the single-row loop spent its
 * time loading kᵀ and v, so each loaded vector now feeds four independent FMA chains. Every element still sums its
 * products in the same order as one row alone.
 */
public final class AttentionCore {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private AttentionCore() {}

    /** Query rows computed together: each kᵀ and v vector loaded once feeds this many accumulators. */
    static final int ROWS = 4;

    public static void run(float[] qkv, float[] y, int batch, int n, int heads, int d, float scale, boolean[] keep, Parallel par) {
        run(qkv, y, batch, n, heads, d, scale, keep, null, null, par, true);
    }

    /** As above, also writing every softmax row into {@code probs} (B, H, N, N) for the backward pass. */
    public static void run(float[] qkv, float[] y, int batch, int n, int heads, int d, float scale, boolean[] keep, float[] probs, Parallel par) {
        run(qkv, y, batch, n, heads, d, scale, keep, null, probs, par, true);
    }

    /**
     * Scores added before the softmax, broadcast over (B, H, N, N): element [b, h, i, j] is
     * {@code v[b·sb + h·sh + i·si + j]} (a stride 0 repeats a dimension of size 1).
     */
    public record Additive(float[] v, int sb, int sh, int si) {
        void addTo(float[] s, int o, int b, int h, int i, int n) {
            int a = b * sb + h * sh + i * si;
            for (int j = 0; j < n; j++) s[o + j] += v[a + j];
        }
    }

    /** As above, with scores {@code add}ed before the softmax (null: none). */
    public static void run(float[] qkv, float[] y, int batch, int n, int heads, int d, float scale, boolean[] keep, Additive add, float[] probs, Parallel par) {
        run(qkv, y, batch, n, heads, d, scale, keep, add, probs, par, true);
    }

    /** grouped false: every query row alone (the kernel before row groups; for benchmarks). */
    static void run(float[] qkv, float[] y, int batch, int n, int heads, int d, float scale, boolean[] keep, Parallel par, boolean grouped) {
        run(qkv, y, batch, n, heads, d, scale, keep, null, null, par, grouped);
    }

    private static void run(float[] qkv, float[] y, int batch, int n, int heads, int d, float scale, boolean[] keep, Additive add, float[] probs, Parallel par,
                            boolean grouped) {
        int pairs = batch * heads;
        par.forRange(pairs, Math.max(1, 4096 / Math.max(1, n * n * d)), (lo, hi) -> {
            float[] kt = new float[d * n], s = new float[ROWS * n];
            for (int p = lo; p < hi; p++) head(qkv, y, p / heads, p % heads, n, heads, d, scale, keep, add, kt, s, grouped, probs);
        });
    }

    private static void head(float[] qkv, float[] y, int b, int h, int n, int heads, int d, float scale, boolean[] keep, Additive add, float[] kt, float[] s,
                             boolean grouped, float[] probs) {
        int pOff = (b * heads + h) * n * n;
        int row = 3 * heads * d, base = b * n * row + h * d;
        int qOff = base, kOff = base + heads * d, vOff = base + 2 * heads * d;
        for (int j = 0; j < n; j++) for (int c = 0; c < d; c++) kt[c * n + j] = qkv[kOff + j * row + c];
        int i = 0;
        for (; grouped && i + ROWS <= n; i += ROWS) {
            scores4(qkv, qOff + i * row, row, kt, n, d, scale, s);
            for (int r = 0; r < ROWS; r++) {
                if (add != null) add.addTo(s, r * n, b, h, i + r, n);
                if (keep != null) for (int j = 0; j < n; j++) if (!keep[(i + r) * n + j]) s[r * n + j] = Float.NEGATIVE_INFINITY;
                softmax(s, r * n, n);
            }
            if (probs != null) System.arraycopy(s, 0, probs, pOff + i * n, ROWS * n);
            mix4(qkv, vOff, row, s, n, d, y, ((b * n + i) * heads + h) * d, heads * d);
        }
        for (; i < n; i++) {
            scores1(qkv, qOff + i * row, kt, n, d, scale, s);
            if (add != null) add.addTo(s, 0, b, h, i, n);
            if (keep != null) for (int j = 0; j < n; j++) if (!keep[i * n + j]) s[j] = Float.NEGATIVE_INFINITY;
            softmax(s, 0, n);
            if (probs != null) System.arraycopy(s, 0, probs, pOff + i * n, n);
            mix1(qkv, vOff, row, s, n, d, y, ((b * n + i) * heads + h) * d);
        }
    }

    /** s[r·n + j] = scale · q_(i+r) · k_j for four query rows at q, q + row, …: each kᵀ vector feeds four FMAs. */
    private static void scores4(float[] qkv, int q, int row, float[] kt, int n, int d, float scale, float[] s) {
        int L = S.length(), nEnd = S.loopBound(n), q1 = q + row, q2 = q1 + row, q3 = q2 + row, j = 0;
        for (; j < nEnd; j += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < d; c++) {
                FloatVector k = FloatVector.fromArray(S, kt, c * n + j);
                a0 = k.fma(FloatVector.broadcast(S, qkv[q + c]), a0);
                a1 = k.fma(FloatVector.broadcast(S, qkv[q1 + c]), a1);
                a2 = k.fma(FloatVector.broadcast(S, qkv[q2 + c]), a2);
                a3 = k.fma(FloatVector.broadcast(S, qkv[q3 + c]), a3);
            }
            a0.mul(scale).intoArray(s, j);
            a1.mul(scale).intoArray(s, n + j);
            a2.mul(scale).intoArray(s, 2 * n + j);
            a3.mul(scale).intoArray(s, 3 * n + j);
        }
        for (; j < n; j++)
            for (int r = 0; r < ROWS; r++) {
                float acc = 0;
                for (int c = 0; c < d; c++) acc += qkv[q + r * row + c] * kt[c * n + j];
                s[r * n + j] = acc * scale;
            }
    }

    private static void scores1(float[] qkv, int q, float[] kt, int n, int d, float scale, float[] s) {
        int L = S.length(), nEnd = S.loopBound(n), j = 0;
        for (; j < nEnd; j += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int c = 0; c < d; c++) acc = FloatVector.fromArray(S, kt, c * n + j).fma(FloatVector.broadcast(S, qkv[q + c]), acc);
            acc.mul(scale).intoArray(s, j);
        }
        for (; j < n; j++) {
            float acc = 0;
            for (int c = 0; c < d; c++) acc += qkv[q + c] * kt[c * n + j];
            s[j] = acc * scale;
        }
    }

    /** y rows yo, yo + stride, … (four queries) = Σ_j s[r·n + j] · v_j: each v vector feeds four FMAs. */
    private static void mix4(float[] qkv, int vOff, int row, float[] s, int n, int d, float[] y, int yo, int stride) {
        int L = S.length(), dEnd = S.loopBound(d), c = 0;
        for (; c < dEnd; c += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < n; j++) {
                FloatVector v = FloatVector.fromArray(S, qkv, vOff + j * row + c);
                a0 = v.fma(FloatVector.broadcast(S, s[j]), a0);
                a1 = v.fma(FloatVector.broadcast(S, s[n + j]), a1);
                a2 = v.fma(FloatVector.broadcast(S, s[2 * n + j]), a2);
                a3 = v.fma(FloatVector.broadcast(S, s[3 * n + j]), a3);
            }
            a0.intoArray(y, yo + c);
            a1.intoArray(y, yo + stride + c);
            a2.intoArray(y, yo + 2 * stride + c);
            a3.intoArray(y, yo + 3 * stride + c);
        }
        for (; c < d; c++)
            for (int r = 0; r < ROWS; r++) {
                float acc = 0;
                for (int j = 0; j < n; j++) acc += s[r * n + j] * qkv[vOff + j * row + c];
                y[yo + r * stride + c] = acc;
            }
    }

    private static void mix1(float[] qkv, int vOff, int row, float[] s, int n, int d, float[] y, int yo) {
        int L = S.length(), dEnd = S.loopBound(d), c = 0;
        for (; c < dEnd; c += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < n; j++) acc = FloatVector.fromArray(S, qkv, vOff + j * row + c).fma(FloatVector.broadcast(S, s[j]), acc);
            acc.intoArray(y, yo + c);
        }
        for (; c < d; c++) {
            float acc = 0;
            for (int j = 0; j < n; j++) acc += s[j] * qkv[vOff + j * row + c];
            y[yo + c] = acc;
        }
    }

    /** In place over s[o, o + n); a row masked everywhere gives NaN, as Softmax of all −∞ does. */
    private static void softmax(float[] s, int o, int n) {
        int L = S.length(), end = S.loopBound(n), j = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (; j < end; j += L) max = Math.max(max, FloatVector.fromArray(S, s, o + j).reduceLanes(VectorOperators.MAX));
        for (; j < n; j++) max = Math.max(max, s[o + j]);
        float sum = 0;
        for (j = 0; j < end; j += L) {
            FloatVector e = LaneMath.exp(FloatVector.fromArray(S, s, o + j).sub(max));
            e.intoArray(s, o + j);
            sum += LaneSum.of(e);
        }
        for (; j < n; j++) {
            s[o + j] = (float) Math.exp(s[o + j] - max);
            sum += s[o + j];
        }
        float inv = 1 / sum;
        for (j = 0; j < end; j += L) FloatVector.fromArray(S, s, o + j).mul(inv).intoArray(s, o + j);
        for (; j < n; j++) s[o + j] *= inv;
    }
}
