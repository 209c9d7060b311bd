package io.nnzip.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused conv epilogues: per output plane, add the channel's bias, apply ReLU, and optionally max-pool without
 * padding. Pooling takes the max first and adds the bias after, which is equal since both steps are monotone.
 * <pre>v: (P,Q) plane at src -> y: (P,Q) or (P',Q') plane at dst</pre>
 */
final class MaxPoolEpilogue {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i), ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);

    private MaxPoolEpilogue() {}

    // y[dst..+len) = act(v[src..+len) + b)
    static void biasAct(float[] v, int src, float[] y, int dst, int len, float b, boolean relu) {
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        int i = 0;
        for (; i + L <= len; i += L) FloatVector.fromArray(S, v, src + i).add(b).max(floor).intoArray(y, dst + i);
        for (; i < len; i++) y[dst + i] = Math.max(v[src + i] + b, floor);
    }

    /** Max-pool a (P,Q) plane with an unpadded window; {@code tmp} holds at least P·Q/2 floats. */
    static void maxPool(float[] v, int src, int p, int q, Conv2d.Pool pool, float b, boolean relu, float[] y, int dst, float[] tmp) {
        if (pool.kh() == 2 && pool.kw() == 2 && pool.sh() == 2 && pool.sw() == 2 && p >= 2 && q >= 2) {
            pool2x2(v, src, p, q, b, relu, y, dst, tmp);
            return;
        }
        int pp = pool.out(p, true), qq = pool.out(q, false);
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        for (int i = 0; i < pp; i++)
            for (int j = 0; j < qq; j++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int a = 0; a < pool.kh(); a++) {
                    int row = src + (i * pool.sh() + a) * q + j * pool.sw();
                    for (int c = 0; c < pool.kw(); c++) m = Math.max(m, v[row + c]);
                }
                y[dst + i * qq + j] = Math.max(m + b, floor);
            }
    }

    // 2×2 stride 2 (an odd last row or column is dropped): max of row pairs into tmp (P/2, 2·(Q/2)), then max of
    // neighbouring pairs over tmp read as one flat row
    private static void pool2x2(float[] v, int src, int p, int q, float b, boolean relu, float[] y, int dst, float[] tmp) {
        int half = p / 2, width = q & ~1;
        for (int i = 0; i < half; i++) {
            int r0 = src + 2 * i * q, r1 = r0 + q, t = i * width, j = 0;
            for (; j + L <= width; j += L) FloatVector.fromArray(S, v, r0 + j).max(FloatVector.fromArray(S, v, r1 + j)).intoArray(tmp, t + j);
            if (j < width) {
                VectorMask<Float> m = S.indexInRange(j, width);
                FloatVector.fromArray(S, v, r0 + j, m).max(FloatVector.fromArray(S, v, r1 + j, m)).intoArray(tmp, t + j, m);
            }
        }
        int n = half * width / 2, j = 0;
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        for (; j + L <= n; j += L) {
            FloatVector lo = FloatVector.fromArray(S, tmp, 2 * j), hi = FloatVector.fromArray(S, tmp, 2 * j + L);
            lo.rearrange(EVEN, hi).max(lo.rearrange(ODD, hi)).add(b).max(floor).intoArray(y, dst + j);
        }
        if (j < n) {
            // the tail as masked vectors too: scalar float max branches, and random activations mispredict
            VectorMask<Float> mLo = S.indexInRange(2 * j, 2 * n), mHi = S.indexInRange(2 * j + L, 2 * n);
            FloatVector lo = FloatVector.fromArray(S, tmp, 2 * j, mLo), hi = FloatVector.fromArray(S, tmp, 2 * j + L, mHi);
            lo.rearrange(EVEN, hi).max(lo.rearrange(ODD, hi)).add(b).max(floor).intoArray(y, dst + j, S.indexInRange(j, n));
        }
    }
}
