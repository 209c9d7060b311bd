package io.nnzip.prune.criteria;

import io.nnzip.ir.Tensor;

/** Running per-channel statistics of activations x: (N,C,...): zero share, mean |x|, mean rank of (H,W) maps. */
final class ChannelStats {
    private final long[] zeros, count;
    private final double[] absSum, rankSum;
    private long maps;

    ChannelStats(int channels) {
        zeros = new long[channels];
        count = new long[channels];
        absSum = new double[channels];
        rankSum = new double[channels];
    }

    void add(Tensor t, boolean ranks) { add(t, 1, ranks); }

    /** Statistics of the features along {@code axis} (1 for (N,C,...) maps, the last axis of a transformer's (B,N,F)). */
    void add(Tensor t, int axis, boolean ranks) {
        int[] s = t.shape();
        int n = 1, c = s[axis], inner = 1;
        for (int i = 0; i < axis; i++) n *= s[i];
        for (int i = axis + 1; i < s.length; i++) inner *= s[i];
        ranks &= axis == 1;
        float[] d = t.toFloats();
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++) {
                int base = (b * c + ch) * inner;
                long z = 0;
                double a = 0;
                for (int i = 0; i < inner; i++) {
                    float v = d[base + i];
                    if (v == 0f) z++;
                    a += Math.abs(v);
                }
                zeros[ch] += z;
                absSum[ch] += a;
                count[ch] += inner;
                if (ranks) rankSum[ch] += s.length == 4 ? MatrixRank.of(d, base, s[2], s[3]) : (z == inner ? 0 : 1);
            }
        maps += axis == 1 ? n : s[0];
    }

    double zeroFraction(int ch) { return count[ch] == 0 ? 0 : (double) zeros[ch] / count[ch]; }

    double meanAbs(int ch) { return count[ch] == 0 ? 0 : absSum[ch] / count[ch]; }

    double meanRank(int ch) { return maps == 0 ? 0 : rankSum[ch] / maps; }
}
