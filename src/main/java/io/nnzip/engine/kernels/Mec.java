package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * Memory-efficient convolution (MEC, Cho &amp; Brand 2017): the image is lowered along the width only, and each output
 * row is one small GEMM over an overlapping slice of the lowered matrix. im2col copies every input pixel up to R·S
 * times; MEC copies it about S/strideW times, so its buffer is about R/strideH times smaller.
 * <pre>
 * x: (N,C,H,W), w: (K,C/g,R,S)  ->  y: (N,K,P,Q), per group gi of g (its Cg = C/g input and Kg = K/g output channels):
 * lowered M: (Hu·Cg·S, Qr), row (b(ih)·Cg + c)·S + s, column q: x[gi·Cg + c, ih - padTop, q·strideW + s·dilW - padLeft]
 *   (0 outside); Hu = (P-1)·strideH + (R-1)·dilH + 1 input rows used (padding included), Qr = Q rounded up to the
 *   micro-kernel width; b(ih) = (ih mod dilH)·J + ih / dilH with J = ceil(Hu / dilH): rows of one phase of the
 *   dilation side by side, so the R rows an output row reads (p·strideH + r·dilH) are R consecutive blocks
 * weights W'_gi: (Kg, R·Cg·S), column (r·Cg + c)·S + s = w[gi·Kg + k, c, r, s]
 * output row p: out_gi[:, p·Qr ..] (Kg, Qr) = W'_gi · M[rows b(p·strideH)·Cg·S .. + R·Cg·S)
 * </pre>
 * The output rows' GEMMs write NR-rounded rows into a (K, P·Qr) product buffer (rows Qr apart, so rows can run on
 * different threads) that the bias/ReLU/pool epilogue reads, as the im2col path's product buffer.
 */
public final class Mec {
    private static final int NR = MicroKernel.NR;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][0]);

    private Mec() {}

    /** Whether MEC can run this conv: a kernel taller than one row (any stride, padding, dilation and groups). */
    public static boolean applies(ConvGeometry g) {
        return g.r() > 1 && g.p() > 0 && g.q() > 0;
    }

    /** Floats of the lowered matrix of one image and group. */
    public static long loweredFloats(ConvGeometry g) {
        return (long) phaseRows(g) * g.dilH() * g.cg() * g.s() * GemmBlocked.roundUp(g.q(), NR);
    }

    /** Floats of the im2col matrix of one image and group (what the im2col path fills for a batch of one). */
    public static long im2colFloats(ConvGeometry g) {
        return (long) g.colRows() * GemmBlocked.roundUp(g.p() * g.q(), NR);
    }

    /**
     * Whether the engine should lower with MEC instead of im2col: the im2col matrix of one image overflows the
     * unfold budget (it is then the conv's memory peak, and no batching keeps it in L2) and MEC's is at most half.
     */
    public static boolean pays(ConvGeometry g) {
        long col = im2colFloats(g);
        return applies(g) && col > Conv2d.COL_BUDGET && 2 * loweredFloats(g) <= col;
    }

    private static int usedRows(ConvGeometry g) { return (g.p() - 1) * g.strideH() + (g.r() - 1) * g.dilH() + 1; }

    // J: lowered blocks per phase of the dilation
    private static int phaseRows(ConvGeometry g) { return (usedRows(g) + g.dilH() - 1) / g.dilH(); }

    private static int block(ConvGeometry g, int ih) { return ih % g.dilH() * phaseRows(g) + ih / g.dilH(); }

    public static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Conv2d.Pool pool, Parallel par) {
        if (!applies(g)) throw new IllegalArgumentException("MEC needs a kernel taller than one row, got " + g.r() + "x" + g.s());
        int kg = g.kg(), cg = g.cg(), r = g.r(), s = g.s(), depth = r * cg * s;
        // W'_gi (Kg, R·Cg·S): the r-th block of Cg·S columns multiplies input row p·strideH + r·dilH
        PackedWeights[] packed = new PackedWeights[g.group()];
        float[] wt = new float[kg * depth];
        for (int gi = 0; gi < g.group(); gi++) {
            for (int ki = 0; ki < kg; ki++)
                for (int ci = 0; ci < cg; ci++)
                    for (int ri = 0; ri < r; ri++)
                        for (int si = 0; si < s; si++) wt[ki * depth + (ri * cg + ci) * s + si] = w[(((gi * kg + ki) * cg + ci) * r + ri) * s + si];
            packed[gi] = PackedWeights.pack(wt, 0, depth, kg, depth);
        }
        if (g.n() >= par.threads() && g.n() > 1) par.forRange(g.n(), 1, (lo, hi) -> images(g, x, packed, bias, y, relu, pool, lo, hi, null));
        else images(g, x, packed, bias, y, relu, pool, 0, g.n(), par);
    }

    private static void images(ConvGeometry g, float[] x, PackedWeights[] packed, float[] bias, float[] y, boolean relu, Conv2d.Pool pool,
                               int lo, int hi, Parallel par) {
        int p = g.p(), q = g.q(), qr = GemmBlocked.roundUp(q, NR), cs = g.cg() * g.s(), pq = p * q, ld = p * qr, chw = g.c() * g.h() * g.w();
        int kg = g.kg(), kgp = packed[0].paddedRows(), outPlane = pool == null ? pq : pool.out(p, true) * pool.out(q, false);
        float[][] scratch = SCRATCH.get();
        float[] m = grow(scratch, 0, (int) loweredFloats(g)), out = grow(scratch, 1, g.group() * kgp * ld);
        float[] plane = pool == null ? null : grow(scratch, 2, pq), tmp = pool == null ? null : grow(scratch, 3, pq);
        // one image on a team: output rows are split over it (each row's GEMM is small)
        boolean split = par != null && par.threads() > 1 && (long) kgp * ld * g.r() * cs >= Sgemm.PARALLEL_MIN_MACS;
        int[] rowOff = new int[p];
        for (int pi = 0; pi < p; pi++) rowOff[pi] = block(g, pi * g.strideH()) * cs * qr;
        for (int img = lo; img < hi; img++) {
            for (int gi = 0; gi < g.group(); gi++) {
                lower(g, x, img * chw, gi * g.cg(), m, qr);
                PackedWeights pw = packed[gi];
                int o0 = gi * kgp * ld;
                Parallel.Range rows = (r0, r1) -> {
                    for (int pi = r0; pi < r1; pi++) pw.multiply(m, rowOff[pi], qr, qr, out, o0 + pi * qr, ld, null);
                };
                if (split) par.forRange(p, 1, rows);
                else rows.run(0, p);
            }
            for (int ki = 0; ki < g.k(); ki++) {
                float b = bias == null ? 0f : bias[ki];
                int dst = (img * g.k() + ki) * outPlane, src = ((ki / kg) * kgp + ki % kg) * ld;
                if (pool == null) {
                    for (int pi = 0; pi < p; pi++) MaxPoolEpilogue.biasAct(out, src + pi * qr, y, dst + pi * q, q, b, relu);
                } else {
                    // rows of the product are qr apart: close them up into one P×Q plane for the pool
                    for (int pi = 0; pi < p; pi++) System.arraycopy(out, src + pi * qr, plane, pi * q, q);
                    MaxPoolEpilogue.maxPool(plane, 0, p, q, pool, b, relu, y, dst, tmp);
                }
            }
        }
    }

    /**
     * Fills the lowered matrix of the image at xOff, channels c0 .. c0 + Cg: rows (b(ih)·Cg + c)·S + s, row stride qr
     * (columns q ≥ Q zero).
     */
    static void lower(ConvGeometry g, float[] x, int xOff, int c0, float[] m, int qr) {
        int rows = usedRows(g), c = g.cg(), s = g.s(), q = g.q(), h = g.h(), width = g.w(), sw = g.strideW(), hw = h * width;
        for (int ih = 0; ih < rows; ih++) {
            int row = ih - g.padTop(), b = block(g, ih);
            for (int ci = 0; ci < c; ci++)
                for (int si = 0; si < s; si++) {
                    int o = ((b * c + ci) * s + si) * qr;
                    if (row < 0 || row >= h) {
                        java.util.Arrays.fill(m, o, o + qr, 0f);
                        continue;
                    }
                    int shift = si * g.dilW() - g.padLeft(), xr = xOff + (c0 + ci) * hw + row * width + shift;
                    // output columns whose input column q·sw + shift lies inside [0, W)
                    int lo = shift >= 0 ? 0 : Math.min(q, (-shift + sw - 1) / sw);
                    int hi = Math.max(lo, Math.min(q, width - shift <= 0 ? 0 : (width - shift - 1) / sw + 1));
                    java.util.Arrays.fill(m, o, o + lo, 0f);
                    if (sw == 1) System.arraycopy(x, xr + lo, m, o + lo, hi - lo);
                    else for (int qi = lo; qi < hi; qi++) m[o + qi] = x[xr + qi * sw];
                    java.util.Arrays.fill(m, o + hi, o + qr, 0f);
                }
        }
    }

    private static float[] grow(float[][] sc, int i, int size) {
        if (sc[i].length < size) sc[i] = new float[size];
        return sc[i];
    }
}
