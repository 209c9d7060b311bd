package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The bit convolution of {@link BinaryConv}, one output row group per task: the popcounts of every position of a
 * row (one AND + BIT_COUNT per input word and vector of output channels, padded taps skipped), then the epilogue.
 * With a max-pool a task is one pooled row, i.e. the conv rows of its window, and positions no window covers are
 * never computed. The bit epilogue compares counts with a per-channel integer threshold, so no float is formed:
 * v = α·d + bias > t ⇔ d > ⌊(t − bias)/α⌋ for the integer d of the coding (α > 0).
 */
final class BitRows {
    private static final VectorSpecies<Long> L = BinaryConv.L;
    private static final int BLOCK = BinaryConv.BLOCK;

    private BitRows() {}

    /**
     * x: packed (N,H,W,⌈C/64⌉); writes {@code yf} (N,K,P',Q') floats, or {@code yb} (N,P',Q',⌈K/64⌉) bits (zeroed by
     * the caller), per {@code ep}.
     */
    static void run(ConvGeometry g, long[] x, boolean pm1, BinaryConv.Weights wt, BinaryConv.Epilogue ep, float[] yf, long[] yb, Parallel par) {
        Conv2d.Pool pool = ep.pool();
        int p = g.p(), q = g.q(), pp = pool == null ? p : pool.out(p, true), qq = pool == null ? q : pool.out(q, false);
        int qNeed = pool == null ? q : (qq - 1) * pool.sw() + pool.kw(), kPad = wt.kPad(), taps = g.r() * g.s();
        long[] theta = ep.bits() ? thresholds(wt, ep, pm1) : null;
        par.forRange(g.n() * pp, 1, (lo, hi) -> {
            long[] acc = new long[qNeed * kPad], wsum = new long[qNeed * kPad];
            int[] base = new int[qNeed], inside = new int[qNeed], srcs = new int[taps], tapIdx = new int[taps];
            float[] row = ep.bits() ? null : new float[wt.k() * qNeed];
            for (int unit = lo; unit < hi; unit++) {
                int img = unit / pp, i = unit % pp, rows = pool == null ? 1 : pool.kh();
                if (!ep.bits() && pool != null) fillPooled(yf, img, i, wt.k(), pp, qq);
                for (int a = 0; a < rows; a++) {
                    int oh = pool == null ? i : i * pool.sh() + a;
                    counts(g, x, img, oh, qNeed, wt, pm1, acc, wsum, base, inside, srcs, tapIdx);
                    if (ep.bits()) emitBits(g, wt, pm1, theta, pool, acc, wsum, base, inside, img, i, qNeed, pp, qq, yb);
                    else emitFloats(g, wt, pm1, ep, acc, wsum, base, inside, img, i, oh, qNeed, pp, qq, row, yf);
                }
            }
        });
    }

    /** Per channel, the largest d whose output is NOT a one bit; padding lanes never fire. */
    static long[] thresholds(BinaryConv.Weights wt, BinaryConv.Epilogue ep, boolean pm1) {
        long[] theta = new long[wt.kPad()];
        java.util.Arrays.fill(theta, Long.MAX_VALUE);
        float t = ep.threshold();
        for (int k = 0; k < wt.k(); k++) {
            float a = wt.alpha()[k], b = wt.bias()[k];
            if (ep.relu() && t < 0) theta[k] = Long.MIN_VALUE; // ReLU's output is ≥ 0 > t: always one
            else if (a == 0f) theta[k] = b > t ? Long.MIN_VALUE : Long.MAX_VALUE;
            else {
                double bound = Math.floor(((double) t - b) / a);
                theta[k] = bound >= 0x1p62 ? Long.MAX_VALUE : bound <= -0x1p62 ? Long.MIN_VALUE : (long) bound;
            }
        }
        return theta;
    }

    /** The popcounts of positions 0..qNeed of output row (img, oh), with each position's popcount(b), inside taps and (±1) weight ones. */
    private static void counts(ConvGeometry g, long[] x, int img, int oh, int qNeed, BinaryConv.Weights wt, boolean pm1, long[] acc, long[] wsum,
                               int[] base, int[] inside, int[] srcs, int[] tapIdx) {
        int cw = wt.cw(), kPad = wt.kPad(), h = g.h(), w = g.w(), taps = g.r() * g.s();
        for (int ow = 0; ow < qNeed; ow++) {
            int nt = 0, ones = 0;
            for (int ri = 0; ri < g.r(); ri++) {
                int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
                if (ih < 0 || ih >= h) continue;
                for (int si = 0; si < g.s(); si++) {
                    int iw = ow * g.strideW() - g.padLeft() + si * g.dilW();
                    if (iw < 0 || iw >= w) continue;
                    int src = ((img * h + ih) * w + iw) * cw;
                    for (int j = 0; j < cw; j++) ones += Long.bitCount(x[src + j]);
                    srcs[nt] = src;
                    tapIdx[nt++] = ri * g.s() + si;
                }
            }
            base[ow] = ones;
            inside[ow] = nt;
            if (nt == taps && ow + 1 < qNeed && interior(g, oh, ow + 1)) {
                // two neighbours with every tap inside: each weight vector loaded once for both
                int step = g.strideW() * cw, ones2 = 0;
                for (int t = 0; t < nt; t++) for (int j = 0; j < cw; j++) ones2 += Long.bitCount(x[srcs[t] + step + j]);
                base[ow + 1] = ones2;
                inside[ow + 1] = nt;
                dot2(x, srcs, step, nt, cw, wt.bits(), kPad, acc, ow * kPad);
                ow++;
                continue;
            }
            dot(x, srcs, tapIdx, nt, cw, wt.bits(), kPad, acc, ow * kPad);
            if (pm1 && nt < taps) {
                // popcount(w) over the inside taps only
                int off = ow * kPad;
                java.util.Arrays.fill(wsum, off, off + kPad, 0L);
                for (int t = 0; t < nt; t++) for (int k = 0; k < kPad; k++) wsum[off + k] += wt.tapOnes()[tapIdx[t] * kPad + k];
            }
        }
    }

    private static boolean interior(ConvGeometry g, int oh, int ow) {
        int ih0 = oh * g.strideH() - g.padTop(), iw0 = ow * g.strideW() - g.padLeft();
        return ih0 >= 0 && ih0 + (g.r() - 1) * g.dilH() < g.h() && iw0 >= 0 && iw0 + (g.s() - 1) * g.dilW() < g.w();
    }

    // dot for positions ow (taps at srcs, all inside, in tap order) and ow + 1 (the same taps shifted by step words)
    private static void dot2(long[] x, int[] srcs, int step, int nt, int cw, long[] bits, int kPad, long[] acc, int off) {
        int lanes = L.length();
        for (int kb = 0; kb < kPad; kb += lanes * BLOCK) {
            LongVector a0 = LongVector.zero(L), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int t = 0; t < nt; t++) {
                int src = srcs[t], wb = t * cw * kPad + kb;
                for (int j = 0; j < cw; j++) {
                    LongVector u = LongVector.broadcast(L, x[src + j]), v = LongVector.broadcast(L, x[src + step + j]);
                    int at = wb + j * kPad;
                    LongVector w0 = LongVector.fromArray(L, bits, at), w1 = LongVector.fromArray(L, bits, at + lanes);
                    LongVector w2 = LongVector.fromArray(L, bits, at + 2 * lanes), w3 = LongVector.fromArray(L, bits, at + 3 * lanes);
                    a0 = a0.add(w0.and(u).lanewise(VectorOperators.BIT_COUNT));
                    a1 = a1.add(w1.and(u).lanewise(VectorOperators.BIT_COUNT));
                    a2 = a2.add(w2.and(u).lanewise(VectorOperators.BIT_COUNT));
                    a3 = a3.add(w3.and(u).lanewise(VectorOperators.BIT_COUNT));
                    b0 = b0.add(w0.and(v).lanewise(VectorOperators.BIT_COUNT));
                    b1 = b1.add(w1.and(v).lanewise(VectorOperators.BIT_COUNT));
                    b2 = b2.add(w2.and(v).lanewise(VectorOperators.BIT_COUNT));
                    b3 = b3.add(w3.and(v).lanewise(VectorOperators.BIT_COUNT));
                }
            }
            a0.intoArray(acc, off + kb);
            a1.intoArray(acc, off + kb + lanes);
            a2.intoArray(acc, off + kb + 2 * lanes);
            a3.intoArray(acc, off + kb + 3 * lanes);
            b0.intoArray(acc, off + kPad + kb);
            b1.intoArray(acc, off + kPad + kb + lanes);
            b2.intoArray(acc, off + kPad + kb + 2 * lanes);
            b3.intoArray(acc, off + kPad + kb + 3 * lanes);
        }
    }

    // acc[off + k] = Σ_taps Σ_words popcount(x word AND w_k word)
    private static void dot(long[] x, int[] srcs, int[] tapIdx, int nt, int cw, long[] bits, int kPad, long[] acc, int off) {
        int lanes = L.length();
        for (int kb = 0; kb < kPad; kb += lanes * BLOCK) {
            LongVector a0 = LongVector.zero(L), a1 = a0, a2 = a0, a3 = a0;
            for (int t = 0; t < nt; t++) {
                int src = srcs[t], wb = tapIdx[t] * cw * kPad + kb;
                for (int j = 0; j < cw; j++) {
                    LongVector v = LongVector.broadcast(L, x[src + j]);
                    int at = wb + j * kPad;
                    a0 = a0.add(LongVector.fromArray(L, bits, at).and(v).lanewise(VectorOperators.BIT_COUNT));
                    a1 = a1.add(LongVector.fromArray(L, bits, at + lanes).and(v).lanewise(VectorOperators.BIT_COUNT));
                    a2 = a2.add(LongVector.fromArray(L, bits, at + 2 * lanes).and(v).lanewise(VectorOperators.BIT_COUNT));
                    a3 = a3.add(LongVector.fromArray(L, bits, at + 3 * lanes).and(v).lanewise(VectorOperators.BIT_COUNT));
                }
            }
            a0.intoArray(acc, off + kb);
            a1.intoArray(acc, off + kb + lanes);
            a2.intoArray(acc, off + kb + 2 * lanes);
            a3.intoArray(acc, off + kb + 3 * lanes);
        }
    }

    /**
     * d per channel and position: {0,1}: 2·cnt − popcount(b); ±1: 4·cnt − 2·popcount(b) − 2·popcount(w) + n.
     * Compared with θ a vector of channels at a time; the lane mask is the next bits of the output word.
     */
    private static void emitBits(ConvGeometry g, BinaryConv.Weights wt, boolean pm1, long[] theta, Conv2d.Pool pool, long[] acc, long[] wsum,
                                 int[] base, int[] inside, int img, int i, int qNeed, int pp, int qq, long[] yb) {
        int lanes = L.length(), kPad = wt.kPad(), kw = BinaryConv.words(wt.k()), taps = g.r() * g.s(), c = wt.c();
        int rowOut = (img * pp + i) * qq * kw;
        for (int ow = 0; ow < qNeed; ow++) {
            int off = ow * kPad, j0, j1;
            if (pool == null) j0 = j1 = ow;
            else {
                // pooled columns whose window holds ow: j·sw ≤ ow < j·sw + kw
                j1 = Math.min(qq - 1, ow / pool.sw());
                j0 = Math.max(0, (ow - pool.kw() + pool.sw()) / pool.sw());
                if (j0 > j1) continue;
            }
            long[] ws = inside[ow] < taps ? wsum : wt.ones();
            int wOff = inside[ow] < taps ? off : 0;
            long shift = pm1 ? (long) inside[ow] * c - 2L * base[ow] : -base[ow];
            for (int k = 0; k < kPad; k += lanes) {
                LongVector cnt = LongVector.fromArray(L, acc, off + k), d;
                if (pm1) d = cnt.lanewise(VectorOperators.LSHL, 2).sub(LongVector.fromArray(L, ws, wOff + k).lanewise(VectorOperators.LSHL, 1)).add(shift);
                else d = cnt.lanewise(VectorOperators.LSHL, 1).add(shift);
                long m = d.compare(VectorOperators.GT, LongVector.fromArray(L, theta, k)).toLong();
                if (m == 0) continue;
                int word = k >>> 6;
                long bitsOut = m << (k & 63);
                for (int j = j0; j <= j1; j++) yb[rowOut + j * kw + word] |= bitsOut;
            }
        }
    }

    private static void fillPooled(float[] yf, int img, int i, int k, int pp, int qq) {
        for (int o = 0; o < k; o++) {
            int at = ((img * k + o) * pp + i) * qq;
            java.util.Arrays.fill(yf, at, at + qq, Float.NEGATIVE_INFINITY);
        }
    }

    // floats: v = α·d + bias, ReLU, then written (P,Q) or max-pooled into the task's pooled row
    private static void emitFloats(ConvGeometry g, BinaryConv.Weights wt, boolean pm1, BinaryConv.Epilogue ep, long[] acc, long[] wsum, int[] base,
                                   int[] inside, int img, int i, int oh, int qNeed, int pp, int qq, float[] row, float[] yf) {
        int kPad = wt.kPad(), k = wt.k(), taps = g.r() * g.s(), c = wt.c(), p = g.p(), q = g.q();
        float[] alpha = wt.alpha(), bias = wt.bias();
        for (int ow = 0; ow < qNeed; ow++) {
            int off = ow * kPad;
            boolean border = inside[ow] < taps;
            for (int o = 0; o < k; o++) {
                long cnt = acc[off + o], d;
                if (pm1) d = 4 * cnt - 2L * base[ow] - 2 * (border ? wsum[off + o] : wt.ones()[o]) + (long) inside[ow] * c;
                else d = 2 * cnt - base[ow];
                float v = alpha[o] * d + bias[o];
                row[o * qNeed + ow] = ep.relu() ? Math.max(v, 0f) : v;
            }
        }
        Conv2d.Pool pool = ep.pool();
        if (pool == null) {
            for (int o = 0; o < k; o++) System.arraycopy(row, o * qNeed, yf, ((img * k + o) * p + oh) * q, q);
            return;
        }
        for (int o = 0; o < k; o++) {
            int at = ((img * k + o) * pp + i) * qq;
            for (int j = 0; j < qq; j++) {
                float m = yf[at + j];
                for (int b = 0; b < pool.kw(); b++) m = Math.max(m, row[o * qNeed + j * pool.sw() + b]);
                yf[at + j] = m;
            }
        }
    }
}
