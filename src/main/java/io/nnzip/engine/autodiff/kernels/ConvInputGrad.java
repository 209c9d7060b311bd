package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.Conv2d;
import io.nnzip.engine.kernels.ConvGeometry;

/**
 * Input gradient of a stride-1, undilated, ungrouped convolution as a forward convolution of dy with the
 * spatially flipped, channel-swapped filters, so it runs on the engine's tuned forward kernel.
 * <pre>
 * dy: (N,K,P,Q), w: (K,C,R,S) -> dx: (N,C,H,W)
 * dx = conv(dy, wf) with wf[c][k][r][s] = w[k][c][R-1-r][S-1-s], pads R-1-pad (each side), stride 1
 * </pre>
 * (dx[c,i,j] = Σ_{k,r,s} w[k,c,r,s]·dy[k, i+padTop-r, j+padLeft-s], which is that convolution.)
 */
public final class ConvInputGrad {
    private ConvInputGrad() {}

    /** Whether {@link #run} applies: stride 1, dilation 1, group 1, every pad below the window. */
    public static boolean applies(ConvGeometry g) {
        return g.group() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.dilH() == 1 && g.dilW() == 1
                && g.padTop() < g.r() && g.padBottom() < g.r() && g.padLeft() < g.s() && g.padRight() < g.s();
    }

    /** Overwrites dx. */
    public static void run(ConvGeometry g, float[] w, float[] dy, float[] dx, Parallel par, ArrayPool pool) {
        int k = g.k(), c = g.c(), r = g.r(), s = g.s(), rs = r * s;
        float[] wf = pool.floats(w.length, false);
        for (int kk = 0; kk < k; kk++)
            for (int cc = 0; cc < c; cc++) {
                int src = (kk * c + cc) * rs, dst = (cc * k + kk) * rs;
                for (int i = 0; i < rs; i++) wf[dst + rs - 1 - i] = w[src + i];
            }
        // wf is a pooled array that held another layer's flipped weights in an earlier pass: kernels that keep a form of
        // their weight array (the channel-lane conv's packing) must compare it again, with no optimizer step between
        io.nnzip.ir.WeightWrites.bump();
        ConvGeometry back = new ConvGeometry(g.n(), k, g.p(), g.q(), c, 1, r, s, 1, 1,
                r - 1 - g.padTop(), s - 1 - g.padLeft(), r - 1 - g.padBottom(), s - 1 - g.padRight(), 1, 1);
        Conv2d.forward(back, dy, wf, null, dx, false, par);
    }
}
