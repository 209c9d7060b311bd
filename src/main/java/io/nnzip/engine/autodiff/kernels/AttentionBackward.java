package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Backward of {@link io.nnzip.engine.kernels.AttentionCore}: from the packed qkv, the gradient at the merged heads and
 * the softmax rows the training forward saved, the gradient at qkv, per (batch, head) in one pass.
 * <pre>
 * qkv: (B, N, 3, H, D)   dy: (B, N, H, D)   p: (B, H, N, N) softmax rows   -> dqkv: (B, N, 3, H, D), every element written
 * dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP)),  dQ = scale·dS·K,  dK = scale·dSᵀ·Q
 * </pre>
 * Masked positions have P = 0 and so get no gradient. Rows of q, k, v and dO are read in place from their strided
 * layouts; only vᵀ (D, N) and dS (N, N) live in per-thread scratch.
 */
public final class AttentionBackward {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private AttentionBackward() {}

    public static void run(float[] qkv, float[] dy, float[] p, float[] dqkv, int batch, int n, int heads, int d, float scale, Parallel par) {
        par.forRange(batch * heads, Math.max(1, 2048 / Math.max(1, n * n * d)), (lo, hi) -> {
            float[] vt = new float[d * n], ds = new float[n * n];
            for (int pair = lo; pair < hi; pair++) head(qkv, dy, p, dqkv, pair / heads, pair % heads, n, heads, d, scale, vt, ds);
        });
    }

    private static void head(float[] qkv, float[] dy, float[] p, float[] dqkv, int b, int h, int n, int heads, int d, float scale, float[] vt, float[] ds) {
        int hd = heads * d, row = 3 * hd, base = b * n * row + h * d;
        int qOff = base, kOff = base + hd, vOff = base + 2 * hd;
        int oOff = b * n * hd + h * d, pOff = (b * heads + h) * n * n;
        for (int j = 0; j < n; j++) for (int c = 0; c < d; c++) vt[c * n + j] = qkv[vOff + j * row + c];
        // dP = dO·Vᵀ into ds, then dS = P ⊙ (dP − rowsum(P ⊙ dP)) in place
        combine(n, n, d, dy, oOff, hd, 1, vt, 0, n, ds, 0, n, 1f);
        int L = S.length(), nEnd = S.loopBound(n);
        for (int i = 0; i < n; i++) {
            int pr = pOff + i * n, dr = i * n, j = 0;
            FloatVector acc = FloatVector.zero(S);
            for (; j < nEnd; j += L) acc = FloatVector.fromArray(S, p, pr + j).fma(FloatVector.fromArray(S, ds, dr + j), acc);
            float dot = LaneSum.of(acc);
            for (; j < n; j++) dot += p[pr + j] * ds[dr + j];
            for (j = 0; j < nEnd; j += L)
                FloatVector.fromArray(S, ds, dr + j).sub(dot).mul(FloatVector.fromArray(S, p, pr + j)).intoArray(ds, dr + j);
            for (; j < n; j++) ds[dr + j] = p[pr + j] * (ds[dr + j] - dot);
        }
        combine(n, d, n, ds, 0, n, 1, qkv, kOff, row, dqkv, qOff, row, scale);   // dQ = scale·dS·K
        combine(n, d, n, ds, 0, 1, n, qkv, qOff, row, dqkv, kOff, row, scale);   // dK = scale·dSᵀ·Q
        combine(n, d, n, p, pOff, 1, n, dy, oOff, hd, dqkv, vOff, row, 1f);      // dV = Pᵀ·dO
    }

    /**
     * out[oOff + r·os + c] = mul·Σ_t coef[cOff + r·rs + t·ts]·v[vOff + t·vs + c] for r &lt; rows, c &lt; cols, t &lt; terms:
     * a small product with any strides on the coefficient side. Four output rows go together so each loaded v vector
     * feeds four independent FMA chains (one chain alone waits on its own latency).
     */
    static void combine(int rows, int cols, int terms, float[] coef, int cOff, int rs, int ts, float[] v, int vOff, int vs,
                        float[] out, int oOff, int os, float mul) {
        int L = S.length(), cEnd = S.loopBound(cols), r = 0;
        for (; r + 4 <= rows; r += 4) {
            int k0 = cOff + r * rs, k1 = k0 + rs, k2 = k1 + rs, k3 = k2 + rs, o0 = oOff + r * os;
            int c = 0;
            for (; c < cEnd; c += L) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int t = 0; t < terms; t++) {
                    FloatVector x = FloatVector.fromArray(S, v, vOff + t * vs + c);
                    int tt = t * ts;
                    a0 = x.fma(FloatVector.broadcast(S, coef[k0 + tt]), a0);
                    a1 = x.fma(FloatVector.broadcast(S, coef[k1 + tt]), a1);
                    a2 = x.fma(FloatVector.broadcast(S, coef[k2 + tt]), a2);
                    a3 = x.fma(FloatVector.broadcast(S, coef[k3 + tt]), a3);
                }
                a0.mul(mul).intoArray(out, o0 + c);
                a1.mul(mul).intoArray(out, o0 + os + c);
                a2.mul(mul).intoArray(out, o0 + 2 * os + c);
                a3.mul(mul).intoArray(out, o0 + 3 * os + c);
            }
            for (; c < cols; c++)
                for (int q = 0; q < 4; q++) {
                    float acc = 0;
                    for (int t = 0; t < terms; t++) acc += coef[k0 + q * rs + t * ts] * v[vOff + t * vs + c];
                    out[o0 + q * os + c] = acc * mul;
                }
        }
        for (; r < rows; r++) {
            int k0 = cOff + r * rs, o0 = oOff + r * os, c = 0;
            for (; c < cEnd; c += L) {
                FloatVector a0 = FloatVector.zero(S);
                for (int t = 0; t < terms; t++) a0 = FloatVector.fromArray(S, v, vOff + t * vs + c).fma(FloatVector.broadcast(S, coef[k0 + t * ts]), a0);
                a0.mul(mul).intoArray(out, o0 + c);
            }
            for (; c < cols; c++) {
                float acc = 0;
                for (int t = 0; t < terms; t++) acc += coef[k0 + t * ts] * v[vOff + t * vs + c];
                out[o0 + c] = acc * mul;
            }
        }
    }
}
