package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
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
            float[] vt = new float[d * n], ds = new float[n * n], dp = new float[n];
            for (int pair = lo; pair < hi; pair++) head(qkv, dy, p, dqkv, pair / heads, pair % heads, n, heads, d, scale, vt, ds, dp);
        });
    }

    private static void head(float[] qkv, float[] dy, float[] p, float[] dqkv, int b, int h, int n, int heads, int d, float scale,
                             float[] vt, float[] ds, float[] dp) {
        int hd = heads * d, row = 3 * hd, base = b * n * row + h * d;
        int qOff = base, kOff = base + hd, vOff = base + 2 * hd;
        int oOff = b * n * hd + h * d, pOff = (b * heads + h) * n * n;
        int L = S.length(), nEnd = S.loopBound(n), dEnd = S.loopBound(d);
        for (int j = 0; j < n; j++) for (int c = 0; c < d; c++) vt[c * n + j] = qkv[vOff + j * row + c];
        // dS row by row: dP[i, :] = dO[i, :]·Vᵀ, then the softmax backward with P's row
        for (int i = 0; i < n; i++) {
            int o = oOff + i * hd, pr = pOff + i * n, j = 0;
            for (; j < nEnd; j += L) {
                FloatVector acc = FloatVector.zero(S);
                for (int c = 0; c < d; c++) acc = FloatVector.fromArray(S, vt, c * n + j).fma(FloatVector.broadcast(S, dy[o + c]), acc);
                acc.intoArray(dp, j);
            }
            for (; j < n; j++) {
                float acc = 0;
                for (int c = 0; c < d; c++) acc += dy[o + c] * vt[c * n + j];
                dp[j] = acc;
            }
            float dot = 0;
            for (j = 0; j < n; j++) dot += p[pr + j] * dp[j];
            for (j = 0; j < n; j++) ds[i * n + j] = p[pr + j] * (dp[j] - dot);
        }
        // dQ[i, :] = scale·Σ_j dS[i, j]·K[j, :]
        for (int i = 0; i < n; i++) {
            int out = qOff + i * row, c = 0;
            for (; c < dEnd; c += L) {
                FloatVector acc = FloatVector.zero(S);
                for (int j = 0; j < n; j++) acc = FloatVector.fromArray(S, qkv, kOff + j * row + c).fma(FloatVector.broadcast(S, ds[i * n + j]), acc);
                acc.mul(scale).intoArray(dqkv, out + c);
            }
            for (; c < d; c++) {
                float acc = 0;
                for (int j = 0; j < n; j++) acc += ds[i * n + j] * qkv[kOff + j * row + c];
                dqkv[out + c] = acc * scale;
            }
        }
        // dK[j, :] = scale·Σ_i dS[i, j]·Q[i, :];  dV[j, :] = Σ_i P[i, j]·dO[i, :]
        for (int j = 0; j < n; j++) {
            int outK = kOff + j * row, outV = vOff + j * row, c = 0;
            for (; c < dEnd; c += L) {
                FloatVector ak = FloatVector.zero(S), av = ak;
                for (int i = 0; i < n; i++) {
                    ak = FloatVector.fromArray(S, qkv, qOff + i * row + c).fma(FloatVector.broadcast(S, ds[i * n + j]), ak);
                    av = FloatVector.fromArray(S, dy, oOff + i * hd + c).fma(FloatVector.broadcast(S, p[pOff + i * n + j]), av);
                }
                ak.mul(scale).intoArray(dqkv, outK + c);
                av.intoArray(dqkv, outV + c);
            }
            for (; c < d; c++) {
                float ak = 0, av = 0;
                for (int i = 0; i < n; i++) {
                    ak += ds[i * n + j] * qkv[qOff + i * row + c];
                    av += p[pOff + i * n + j] * dy[oOff + i * hd + c];
                }
                dqkv[outK + c] = ak * scale;
                dqkv[outV + c] = av;
            }
        }
    }
}
