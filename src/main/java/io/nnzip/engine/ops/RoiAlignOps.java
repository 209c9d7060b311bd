package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * RoiAlign: for each region, a (output_height, output_width) grid of bins, each the average (or max) of bilinear
 * samples on a regular sampling grid, following the Detectron2 / ONNX Runtime algorithm. Registered by {@link MiscOps}.
 */
final class RoiAlignOps {
    private RoiAlignOps() {}

    static void register() {
        OpRegistry.register("RoiAlign", RoiAlignOps::run, (n, in, o) -> {
            int[] x = in[0].shape(), r = in[1].shape();
            int c = x == null ? -1 : x[1], k = r == null ? -1 : r[0];
            return Rules.one(in[0].dtype(), new int[] {k, c, (int) n.attrInt("output_height", 1), (int) n.attrInt("output_width", 1)});
        });
    }

    // x: (N,C,H,W), rois: (R,4) of (x1,y1,x2,y2), batch_indices: (R) -> (R,C,OH,OW)
    private static Tensor[] run(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("RoiAlign on " + x.dtype().lower());
        int[] s = x.shape();
        if (s.length != 4 || in[1].rank() != 2 || in[1].dim(1) != 4) throw new NnzipException("RoiAlign: needs x (N,C,H,W) and rois (R,4), got " + Shapes.str(s) + " and " + Shapes.str(in[1].shape()));
        int C = s[1], H = s[2], W = s[3], R = in[1].dim(0), OH = (int) n.attrInt("output_height", 1), OW = (int) n.attrInt("output_width", 1);
        int ratio = (int) n.attrInt("sampling_ratio", 0);
        double scale = n.attrFloat("spatial_scale", 1f);
        String mode = n.attrString("mode", "avg");
        if (!mode.equals("avg") && !mode.equals("max")) throw new UnsupportedOpException("RoiAlign mode=" + mode);
        String ctm = n.attrString("coordinate_transformation_mode", ctx.opset() >= 16 ? "half_pixel" : "output_half_pixel");
        boolean half = ctm.equals("half_pixel");
        if (!half && !ctm.equals("output_half_pixel")) throw new UnsupportedOpException("RoiAlign coordinate_transformation_mode=" + ctm);
        double[] v = Values.doubles(x), rois = Values.doubles(in[1]), y = new double[R * C * OH * OW];
        long[] batch = in[2].toLongs();
        for (int r = 0; r < R; r++) {
            double off = half ? 0.5 : 0;
            double x1 = rois[r * 4] * scale - off, y1 = rois[r * 4 + 1] * scale - off, x2 = rois[r * 4 + 2] * scale - off, y2 = rois[r * 4 + 3] * scale - off;
            double rw = x2 - x1, rh = y2 - y1;
            if (!half) {
                rw = Math.max(rw, 1);
                rh = Math.max(rh, 1);
            }
            double bh = rh / OH, bw = rw / OW;
            int gh = ratio > 0 ? ratio : (int) Math.ceil(rh / OH), gw = ratio > 0 ? ratio : (int) Math.ceil(rw / OW);
            int count = Math.max(gh * gw, 1), b = (int) batch[r];
            for (int c = 0; c < C; c++) {
                int plane = (b * C + c) * H * W;
                for (int ph = 0; ph < OH; ph++)
                    for (int pw = 0; pw < OW; pw++) {
                        double acc = 0, best = Double.NEGATIVE_INFINITY;
                        for (int iy = 0; iy < gh; iy++) {
                            double yy = y1 + ph * bh + (iy + 0.5) * bh / gh;
                            for (int ix = 0; ix < gw; ix++) {
                                double xx = x1 + pw * bw + (ix + 0.5) * bw / gw;
                                double[] t = taps(v, plane, H, W, yy, xx);
                                acc += t[0] + t[1] + t[2] + t[3];
                                best = Math.max(best, Math.max(Math.max(t[0], t[1]), Math.max(t[2], t[3])));
                            }
                        }
                        y[((r * C + c) * OH + ph) * OW + pw] = mode.equals("avg") ? acc / count : best;
                    }
            }
        }
        return new Tensor[] {Values.fromDoubles(x.dtype(), new int[] {R, C, OH, OW}, y)};
    }

    /** The four weighted neighbour values of a bilinear sample; all zero outside [-1, H] x [-1, W]. */
    private static double[] taps(double[] v, int plane, int H, int W, double y, double x) {
        if (y < -1 || y > H || x < -1 || x > W) return new double[4];
        y = Math.max(y, 0);
        x = Math.max(x, 0);
        int yl = (int) y, xl = (int) x, yh, xh;
        if (yl >= H - 1) { yh = yl = H - 1; y = yl; } else yh = yl + 1;
        if (xl >= W - 1) { xh = xl = W - 1; x = xl; } else xh = xl + 1;
        double ly = y - yl, lx = x - xl, hy = 1 - ly, hx = 1 - lx;
        return new double[] {hy * hx * v[plane + yl * W + xl], hy * lx * v[plane + yl * W + xh], ly * hx * v[plane + yh * W + xl], ly * lx * v[plane + yh * W + xh]};
    }
}
