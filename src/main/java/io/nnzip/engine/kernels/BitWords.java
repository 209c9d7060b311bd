package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.HashMap;
import java.util.Map;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The bit convolution of {@link BinaryConv} on 32-bit words: a pixel's channels are ⌈C/32⌉ ints, so C = 32 fills
 * its word and one AND + BIT_COUNT of a broadcast input word meets 16 output channels' words (AVX-512) at once.
 * <ul>
 * <li><b>Register blocking.</b> Two output positions × four vectors of output channels = 8 accumulators stay in
 * registers over a position's receptive field: each weight vector is loaded once for two positions, each input word
 * broadcast once for 64 channels ({@link #dot2}; one position for a row's odd tail).</li>
 * <li><b>No border tests in the loop.</b> The R input rows a conv row reads are copied into a zero-bordered scratch
 * row band, so every position reads the same word offsets. A padded tap is a zero word: for {0,1} activations it
 * adds nothing, which is exactly ONNX's zero padding of the thresholded input; for ±1 the zero is not a code, so
 * border positions subtract popcount(w) and n over the inside taps only (cached per set of inside taps).</li>
 * <li><b>Whole-plane layers</b> (P = Q = 1 without padding: a Gemm over flattened features) block two images.</li>
 * </ul>
 * With b the input bits, w the weight bits, cnt = Σ popcount(b AND w) and pb = Σ popcount(b) over the receptive
 * field, the integer dot is d = 2·cnt − pb ({0,1}) or d = 4·cnt − 2·pb − 2·popcount(w_inside) + n_inside (±1);
 * the epilogue either forms α·d + bias (floats, optional ReLU and max-pool) or compares d with a per-channel integer
 * threshold into bits (max-pool as OR), so no float is formed between bit layers.
 */
final class BitWords {
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Vectors of output channels per block: 4 × 16 = 64 channels on AVX-512. */
    static final int KB = 4;
    /**
     * Output positions per block: two positions × four vectors = 8 accumulators. (Four positions, 16 accumulators,
     * measured 4.5× slower: C2 stopped intrinsifying part of the method and the vectors were boxed on the heap.)
     */
    static final int PB = 2;

    private BitWords() {}

    /** Channel padding: a multiple of the block width. */
    static int kPad(int k) {
        int block = I.length() * KB;
        return (k + block - 1) / block * block;
    }

    /**
     * x: packed (N,H,W,⌈C/32⌉); writes {@code yf} (N,K,P',Q') floats, or {@code yb} (N,P',Q',⌈K/32⌉) bits (zeroed by
     * the caller), per {@code ep}.
     */
    static void run(ConvGeometry g, int[] x, boolean pm1, BinaryConv.Weights wt, BinaryConv.Epilogue ep, float[] yf, int[] yb, Parallel par) {
        int[] theta = ep.bits() ? thresholds(wt, ep, pm1) : null;
        boolean plane = g.p() == 1 && g.q() == 1 && ep.pool() == null && g.padTop() == 0 && g.padLeft() == 0 && g.padBottom() == 0 && g.padRight() == 0;
        if (plane) planes(g, x, pm1, wt, ep, theta, yf, yb, par);
        else rows(g, x, pm1, wt, ep, theta, yf, yb, par);
    }

    /** Per channel, the largest d whose output is NOT a one bit; padding lanes never fire. */
    static int[] thresholds(BinaryConv.Weights wt, BinaryConv.Epilogue ep, boolean pm1) {
        int[] theta = new int[wt.kPad()];
        java.util.Arrays.fill(theta, Integer.MAX_VALUE);
        float t = ep.threshold();
        for (int k = 0; k < wt.k(); k++) {
            float a = wt.alpha()[k], b = wt.bias()[k];
            if (ep.relu() && t < 0) theta[k] = Integer.MIN_VALUE; // ReLU's output is ≥ 0 > t: always one
            else if (a == 0f) theta[k] = b > t ? Integer.MIN_VALUE : Integer.MAX_VALUE;
            else {
                double bound = Math.floor(((double) t - b) / a);
                theta[k] = bound >= 0x1p30 ? Integer.MAX_VALUE : bound <= -0x1p30 ? Integer.MIN_VALUE : (int) bound;
            }
        }
        return theta;
    }

    // P = Q = 1, no padding: every tap is inside; a task is a group of images, two per block
    private static void planes(ConvGeometry g, int[] x, boolean pm1, BinaryConv.Weights wt, BinaryConv.Epilogue ep, int[] theta, float[] yf, int[] yb, Parallel par) {
        int cw = wt.cw(), kPad = wt.kPad(), n = g.n(), k = wt.k(), kwOut = BinaryConv.words(k), img = g.h() * g.w() * cw;
        int[] rel = new int[g.r() * g.s() * cw];
        for (int ri = 0; ri < g.r(); ri++)
            for (int si = 0; si < g.s(); si++)
                for (int j = 0; j < cw; j++) rel[(ri * g.s() + si) * cw + j] = (ri * g.dilH() * g.w() + si * g.dilW()) * cw + j;
        int shiftPm1 = g.r() * g.s() * wt.c();
        par.forRange((n + PB - 1) / PB, 1, (lo, hi) -> {
            int[] acc = new int[PB * kPad];
            int[] b = new int[PB], one = new int[1], shifts = new int[PB];
            int[][] ones = new int[PB][];
            java.util.Arrays.fill(ones, wt.ones());
            for (int blk = lo; blk < hi; blk++) {
                int first = blk * PB, count = Math.min(PB, n - first);
                for (int s = 0; s < PB; s++) b[s] = (first + Math.min(s, count - 1)) * img;
                dot(x, b, count, rel, wt.bits(), kPad, acc);
                for (int s = 0; s < count; s++) {
                    int pb = ones(x, b[s], rel);
                    int shift = pm1 ? shiftPm1 - 2 * pb : -pb;
                    if (ep.bits()) {
                        one[0] = s;
                        shifts[s] = shift;
                        bitsOut(acc, one, 1, pm1, shifts, ones, theta, kPad, yb, (first + s) * kwOut, kwOut);
                    }
                    else floatsOut(acc, s * kPad, pm1, shift, wt.ones(), 0, wt, ep.relu(), yf, (first + s) * k, 1);
                }
            }
        });
    }

    // a task is one output row (with a max-pool: one pooled row, i.e. the conv rows of its window)
    private static void rows(ConvGeometry g, int[] x, boolean pm1, BinaryConv.Weights wt, BinaryConv.Epilogue ep, int[] theta, float[] yf, int[] yb, Parallel par) {
        Conv2d.Pool pool = ep.pool();
        int p = g.p(), q = g.q(), pp = pool == null ? p : pool.out(p, true), qq = pool == null ? q : pool.out(q, false);
        int qNeed = pool == null ? q : (qq - 1) * pool.sw() + pool.kw(), kPad = wt.kPad(), cw = wt.cw(), taps = g.r() * g.s(), k = wt.k();
        int wp = (qNeed - 1) * g.strideW() + (g.s() - 1) * g.dilW() + 1, band = wp * cw, kwOut = BinaryConv.words(k);
        int[] rel = new int[taps * cw];
        for (int ri = 0; ri < g.r(); ri++)
            for (int si = 0; si < g.s(); si++)
                for (int j = 0; j < cw; j++) rel[(ri * g.s() + si) * cw + j] = ri * band + si * g.dilW() * cw + j;
        int rows = pool == null ? 1 : pool.kh(), kwin = pool == null ? 1 : pool.kw();
        par.forRange(g.n() * pp, 1, (lo, hi) -> {
            // counts of every position of the window's conv rows: position (a, ow) at acc[(a·qNeed + ow)·kPad]
            int[] acc = new int[rows * qNeed * kPad], scratch = new int[g.r() * band], shift = new int[rows * qNeed], b = new int[PB];
            int[] colOnes = new int[wp], win = new int[rows * kwin];
            int[][] ws = new int[rows * qNeed][];
            float[] row = ep.bits() ? null : new float[k * qNeed];
            Map<String, int[]> inside = pm1 ? new HashMap<>() : null;
            for (int unit = lo; unit < hi; unit++) {
                int img = unit / pp, i = unit % pp;
                if (!ep.bits() && pool != null) fillPooled(yf, img, i, k, pp, qq);
                for (int a = 0; a < rows; a++) {
                    int oh = pool == null ? i : i * pool.sh() + a, at = a * qNeed;
                    band(g, x, cw, img, oh, wp, scratch);
                    for (int ow = 0; ow < qNeed; ow += PB) {
                        int count = Math.min(PB, qNeed - ow);
                        for (int s = 0; s < PB; s++) b[s] = (ow + Math.min(s, count - 1)) * g.strideW() * cw;
                        dot(scratch, b, count, rel, wt.bits(), kPad, acc, (at + ow) * kPad);
                    }
                    // popcount(b) of a position: per band column over the R rows, then over the S taps
                    java.util.Arrays.fill(colOnes, 0);
                    for (int ri = 0; ri < g.r(); ri++)
                        for (int u = 0; u < wp; u++) for (int j = 0; j < cw; j++) colOnes[u] += Integer.bitCount(scratch[ri * band + u * cw + j]);
                    for (int ow = 0; ow < qNeed; ow++) {
                        int pb = 0;
                        for (int si = 0; si < g.s(); si++) pb += colOnes[ow * g.strideW() + si * g.dilW()];
                        shift[at + ow] = -pb;
                        ws[at + ow] = wt.ones();
                        if (pm1 && interior(g, oh, ow)) shift[at + ow] = taps * wt.c() - 2 * pb;
                        else if (pm1) {
                            boolean[] in = insideTaps(g, oh, ow);
                            int nIn = 0;
                            for (boolean t : in) if (t) nIn++;
                            ws[at + ow] = inside.computeIfAbsent(java.util.Arrays.toString(in), key -> insideOnes(wt, in));
                            shift[at + ow] = nIn * wt.c() - 2 * pb;
                        }
                        if (!ep.bits()) floatsOut(acc, (at + ow) * kPad, pm1, shift[at + ow], ws[at + ow], 0, wt, ep.relu(), row, ow, qNeed);
                    }
                    if (!ep.bits()) writeRow(g, pool, row, yf, img, i, oh, k, qNeed, pp, qq);
                }
                if (!ep.bits()) continue;
                // bits: thresholding is monotone, so the OR-pool of thresholded values is the threshold of the window's max
                int rowOut = (img * pp + i) * qq * kwOut;
                for (int j = 0; j < qq; j++) {
                    int nw = 0;
                    for (int a = 0; a < rows; a++) for (int c = 0; c < kwin; c++) win[nw++] = a * qNeed + (pool == null ? j : j * pool.sw() + c);
                    bitsOut(acc, win, nw, pm1, shift, ws, theta, kPad, yb, rowOut + j * kwOut, kwOut);
                }
            }
        });
    }

    /** Copies the R input rows of output row oh into a zero-bordered band: band row ri, column u is input (ih, u − padLeft). */
    private static void band(ConvGeometry g, int[] x, int cw, int img, int oh, int wp, int[] scratch) {
        int h = g.h(), w = g.w(), pl = g.padLeft();
        // input columns u − pl inside [0, w): u in [pl, pl + w) ∩ [0, wp)
        int u0 = Math.min(pl, wp), u1 = Math.min(wp, pl + w);
        for (int ri = 0; ri < g.r(); ri++) {
            int ih = oh * g.strideH() - g.padTop() + ri * g.dilH(), dst = ri * wp * cw;
            if (ih < 0 || ih >= h || u1 <= u0) {
                java.util.Arrays.fill(scratch, dst, dst + wp * cw, 0);
                continue;
            }
            java.util.Arrays.fill(scratch, dst, dst + u0 * cw, 0);
            System.arraycopy(x, ((img * h + ih) * w + (u0 - pl)) * cw, scratch, dst + u0 * cw, (u1 - u0) * cw);
            java.util.Arrays.fill(scratch, dst + u1 * cw, dst + wp * cw, 0);
        }
    }

    private static boolean interior(ConvGeometry g, int oh, int ow) {
        int ih0 = oh * g.strideH() - g.padTop(), iw0 = ow * g.strideW() - g.padLeft();
        return ih0 >= 0 && ih0 + (g.r() - 1) * g.dilH() < g.h() && iw0 >= 0 && iw0 + (g.s() - 1) * g.dilW() < g.w();
    }

    /** Per tap t = ri·S + si: does tap (ri, si) of position (oh, ow) lie inside the input. */
    private static boolean[] insideTaps(ConvGeometry g, int oh, int ow) {
        boolean[] in = new boolean[g.r() * g.s()];
        for (int ri = 0; ri < g.r(); ri++) {
            int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
            if (ih < 0 || ih >= g.h()) continue;
            for (int si = 0; si < g.s(); si++) {
                int iw = ow * g.strideW() - g.padLeft() + si * g.dilW();
                in[ri * g.s() + si] = iw >= 0 && iw < g.w();
            }
        }
        return in;
    }

    /** popcount(w) per channel over the inside taps. */
    private static int[] insideOnes(BinaryConv.Weights wt, boolean[] in) {
        int kPad = wt.kPad();
        int[] ws = new int[kPad];
        for (int t = 0; t < in.length; t++) if (in[t]) for (int k = 0; k < kPad; k++) ws[k] += wt.tapOnes()[t * kPad + k];
        return ws;
    }

    /** Σ popcount(b) over a receptive field. */
    private static int ones(int[] x, int base, int[] rel) {
        int s = 0;
        for (int r : rel) s += Integer.bitCount(x[base + r]);
        return s;
    }

    // cnt of `count` (1..2) positions at word offsets b[0..] into acc[at + s·kPad + k]
    private static void dot(int[] x, int[] b, int count, int[] rel, int[] bits, int kPad, int[] acc) { dot(x, b, count, rel, bits, kPad, acc, 0); }

    private static void dot(int[] x, int[] b, int count, int[] rel, int[] bits, int kPad, int[] acc, int at) {
        if (count == 2) dot2(x, b[0], b[1], rel, bits, kPad, acc, at);
        else dot1(x, b[0], rel, bits, kPad, acc, at);
    }

    private static void dot2(int[] x, int b0, int b1, int[] rel, int[] bits, int kPad, int[] acc, int at) {
        int lanes = I.length(), nw = rel.length;
        for (int kb = 0; kb < kPad; kb += lanes * KB) {
            IntVector z = IntVector.zero(I);
            IntVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
            for (int e = 0; e < nw; e++) {
                int r = rel[e], wa = e * kPad + kb;
                IntVector w0 = IntVector.fromArray(I, bits, wa), w1 = IntVector.fromArray(I, bits, wa + lanes);
                IntVector w2 = IntVector.fromArray(I, bits, wa + 2 * lanes), w3 = IntVector.fromArray(I, bits, wa + 3 * lanes);
                IntVector u = IntVector.broadcast(I, x[b0 + r]), v = IntVector.broadcast(I, x[b1 + r]);
                a00 = a00.add(w0.and(u).lanewise(VectorOperators.BIT_COUNT));
                a01 = a01.add(w1.and(u).lanewise(VectorOperators.BIT_COUNT));
                a02 = a02.add(w2.and(u).lanewise(VectorOperators.BIT_COUNT));
                a03 = a03.add(w3.and(u).lanewise(VectorOperators.BIT_COUNT));
                a10 = a10.add(w0.and(v).lanewise(VectorOperators.BIT_COUNT));
                a11 = a11.add(w1.and(v).lanewise(VectorOperators.BIT_COUNT));
                a12 = a12.add(w2.and(v).lanewise(VectorOperators.BIT_COUNT));
                a13 = a13.add(w3.and(v).lanewise(VectorOperators.BIT_COUNT));
            }
            store4(acc, at + kb, lanes, a00, a01, a02, a03);
            store4(acc, at + kPad + kb, lanes, a10, a11, a12, a13);
        }
    }

    private static void dot1(int[] x, int b0, int[] rel, int[] bits, int kPad, int[] acc, int at) {
        int lanes = I.length(), nw = rel.length;
        for (int kb = 0; kb < kPad; kb += lanes * KB) {
            IntVector z = IntVector.zero(I);
            IntVector a00 = z, a01 = z, a02 = z, a03 = z;
            for (int e = 0; e < nw; e++) {
                int wa = e * kPad + kb;
                IntVector u = IntVector.broadcast(I, x[b0 + rel[e]]);
                a00 = a00.add(IntVector.fromArray(I, bits, wa).and(u).lanewise(VectorOperators.BIT_COUNT));
                a01 = a01.add(IntVector.fromArray(I, bits, wa + lanes).and(u).lanewise(VectorOperators.BIT_COUNT));
                a02 = a02.add(IntVector.fromArray(I, bits, wa + 2 * lanes).and(u).lanewise(VectorOperators.BIT_COUNT));
                a03 = a03.add(IntVector.fromArray(I, bits, wa + 3 * lanes).and(u).lanewise(VectorOperators.BIT_COUNT));
            }
            store4(acc, at + kb, lanes, a00, a01, a02, a03);
        }
    }

    private static void store4(int[] acc, int at, int lanes, IntVector a0, IntVector a1, IntVector a2, IntVector a3) {
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + lanes);
        a2.intoArray(acc, at + 2 * lanes);
        a3.intoArray(acc, at + 3 * lanes);
    }

    /**
     * d = 2·cnt + shift ({0,1}) or 4·cnt − 2·ws + shift (±1) per position, its max over the {@code n} window
     * positions compared with θ a vector of channels at a time; the lane masks are the output pixel's words at {@code out}.
     */
    private static void bitsOut(int[] acc, int[] win, int n, boolean pm1, int[] shift, int[][] ws, int[] theta, int kPad, int[] yb, int out, int kwOut) {
        int lanes = I.length(), end = Math.min(kPad, kwOut << 5); // lanes past the pixel's last word are padding
        for (int k = 0; k < end; k += lanes) {
            IntVector best = d(acc, win[0], k, kPad, pm1, shift, ws);
            for (int t = 1; t < n; t++) best = best.max(d(acc, win[t], k, kPad, pm1, shift, ws));
            long m = best.compare(VectorOperators.GT, IntVector.fromArray(I, theta, k)).toLong();
            yb[out + (k >>> 5)] |= (int) (m << (k & 31));
        }
    }

    private static IntVector d(int[] acc, int pos, int k, int kPad, boolean pm1, int[] shift, int[][] ws) {
        IntVector cnt = IntVector.fromArray(I, acc, pos * kPad + k);
        if (pm1) return cnt.lanewise(VectorOperators.LSHL, 2).sub(IntVector.fromArray(I, ws[pos], k).lanewise(VectorOperators.LSHL, 1)).add(shift[pos]);
        return cnt.lanewise(VectorOperators.LSHL, 1).add(shift[pos]);
    }

    // v = α·d + bias (ReLU) into dst[at + o·stride]
    private static void floatsOut(int[] acc, int off, boolean pm1, int shift, int[] ws, int wsOff, BinaryConv.Weights wt, boolean relu, float[] dst, int at, int stride) {
        float[] alpha = wt.alpha(), bias = wt.bias();
        for (int o = 0; o < wt.k(); o++) {
            int cnt = acc[off + o];
            int d = (pm1 ? 4 * cnt - 2 * ws[wsOff + o] : 2 * cnt) + shift;
            float v = alpha[o] * d + bias[o];
            dst[at + o * stride] = relu ? Math.max(v, 0f) : v;
        }
    }

    private static void fillPooled(float[] yf, int img, int i, int k, int pp, int qq) {
        for (int o = 0; o < k; o++) {
            int at = ((img * k + o) * pp + i) * qq;
            java.util.Arrays.fill(yf, at, at + qq, Float.NEGATIVE_INFINITY);
        }
    }

    // a conv row (K, qNeed) written (P, Q), or max-pooled into the task's pooled row
    private static void writeRow(ConvGeometry g, Conv2d.Pool pool, float[] row, float[] yf, int img, int i, int oh, int k, int qNeed, int pp, int qq) {
        int p = g.p(), q = g.q();
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
