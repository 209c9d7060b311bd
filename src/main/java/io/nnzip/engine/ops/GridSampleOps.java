package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * GridSample (opset 16, 2-D): samples x at normalized grid locations in [-1, 1] with bilinear, nearest (round
 * half to even) or bicubic (a = -0.75) interpolation and zeros / border / reflection padding, as in PyTorch's
 * grid_sample, which the op was specified after. Registered by {@link MiscOps}.
 */
final class GridSampleOps {
    private GridSampleOps() {}

    static void register() {
        OpRegistry.register("GridSample", GridSampleOps::run, (n, in, o) -> {
            int[] s = in[0].shape(), g = in[1].shape();
            return Rules.one(in[0].dtype(), s == null || g == null ? null : new int[] {s[0], s[1], g[1], g[2]});
        });
    }

    private record Mode(String interp, String padding, boolean align) {}

    // x: (N,C,H,W), grid: (N,Ho,Wo,2) of (x, y) -> y: (N,C,Ho,Wo)
    private static Tensor[] run(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0], grid = in[1];
        int[] s = x.shape(), gs = grid.shape();
        if (s.length != 4 || gs.length != 4 || gs[3] != 2 || gs[0] != s[0])
            throw new UnsupportedOpException("GridSample on input " + Shapes.str(s) + " with grid " + Shapes.str(gs) + " (2-D only)");
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("GridSample on " + x.dtype().lower());
        Mode m = new Mode(n.attrString("mode", "bilinear"), n.attrString("padding_mode", "zeros"), n.attrInt("align_corners", 0) == 1);
        if (!m.interp().matches("bilinear|nearest|bicubic")) throw new UnsupportedOpException("GridSample mode=" + m.interp());
        if (!m.padding().matches("zeros|border|reflection")) throw new UnsupportedOpException("GridSample padding_mode=" + m.padding());
        int N = s[0], C = s[1], H = s[2], W = s[3], Ho = gs[1], Wo = gs[2];
        double[] v = Values.doubles(x), g = Values.doubles(grid), y = new double[N * C * Ho * Wo];
        for (int b = 0; b < N; b++)
            for (int i = 0; i < Ho * Wo; i++) {
                double gx = unnormalize(g[(b * Ho * Wo + i) * 2], W, m.align()), gy = unnormalize(g[(b * Ho * Wo + i) * 2 + 1], H, m.align());
                for (int c = 0; c < C; c++) y[((b * C + c) * Ho * Wo) + i] = sample(v, (b * C + c) * H * W, H, W, gx, gy, m);
            }
        return new Tensor[] {Values.fromDoubles(x.dtype(), new int[] {N, C, Ho, Wo}, y)};
    }

    private static double unnormalize(double c, int size, boolean align) {
        return align ? (c + 1) / 2 * (size - 1) : ((c + 1) * size - 1) / 2;
    }

    /** Applies border or reflection padding to a source coordinate. */
    private static double pad(double x, int size, Mode m) {
        return switch (m.padding()) {
            case "border" -> Math.max(0, Math.min(size - 1, x));
            case "reflection" -> Math.max(0, Math.min(size - 1, m.align() ? reflect(x, 0, 2 * (size - 1)) : reflect(x, -1, 2 * size - 1)));
            default -> x;
        };
    }

    /** Reflects x into [low/2, high/2] (bounds given doubled, as in PyTorch). */
    private static double reflect(double x, int twiceLow, int twiceHigh) {
        if (twiceLow == twiceHigh) return 0;
        double min = twiceLow / 2.0, span = (twiceHigh - twiceLow) / 2.0;
        x = Math.abs(x - min);
        double extra = x % span;
        int flips = (int) Math.floor(x / span);
        return flips % 2 == 0 ? extra + min : span - extra + min;
    }

    private static double at(double[] v, int off, int H, int W, int r, int c) {
        return r >= 0 && r < H && c >= 0 && c < W ? v[off + r * W + c] : 0;
    }

    private static double sample(double[] v, int off, int H, int W, double gx, double gy, Mode m) {
        switch (m.interp()) {
            case "nearest" -> {
                return at(v, off, H, W, (int) Math.rint(pad(gy, H, m)), (int) Math.rint(pad(gx, W, m)));
            }
            case "bilinear" -> {
                double px = pad(gx, W, m), py = pad(gy, H, m);
                int x0 = (int) Math.floor(px), y0 = (int) Math.floor(py);
                double tx = px - x0, ty = py - y0;
                return at(v, off, H, W, y0, x0) * (1 - tx) * (1 - ty) + at(v, off, H, W, y0, x0 + 1) * tx * (1 - ty)
                        + at(v, off, H, W, y0 + 1, x0) * (1 - tx) * ty + at(v, off, H, W, y0 + 1, x0 + 1) * tx * ty;
            }
            default -> {
                int x0 = (int) Math.floor(gx), y0 = (int) Math.floor(gy);
                double tx = gx - x0, ty = gy - y0, acc = 0;
                for (int j = -1; j <= 2; j++) {
                    double wy = cubic(Math.abs(ty - j));
                    for (int i = -1; i <= 2; i++) {
                        int r = (int) pad(y0 + j, H, m), c = (int) pad(x0 + i, W, m);
                        acc += wy * cubic(Math.abs(tx - i)) * at(v, off, H, W, r, c);
                    }
                }
                return acc;
            }
        }
    }

    private static double cubic(double d) {
        double a = -0.75;
        if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
        if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        return 0;
    }

}
