package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * Resize (opsets 10-17) and the deprecated Upsample: separable nearest / linear / cubic interpolation over any
 * axes. Each axis gets a table of source taps and weights per output coordinate; an output element is the sum
 * over the product of its axes' taps. Registered by {@link MiscOps}.
 */
final class ResizeOps {
    private ResizeOps() {}

    /** Per axis and output coordinate: source indices and weights (index -1 means "outside": extrapolate). */
    private record Taps(int[][] index, double[][] weight) {}

    static void register() {
        OpRegistry.register("Resize", ResizeOps::resize, ResizeOps::rule);
        OpRegistry.register("Upsample", ResizeOps::resize, ResizeOps::rule);
    }

    private static boolean legacy(Node n, int opset) { return n.opType().equals("Upsample") || opset < 11; }

    /** Output shape from sizes, or floor(in * scale). */
    private static int[] outShape(Node n, int[] s, double[] scales, long[] sizes) {
        int[] out = new int[s.length];
        for (int d = 0; d < s.length; d++) {
            if (sizes != null) out[d] = (int) sizes[d];
            else out[d] = (int) Math.floor(s[d] * scales[d]);
        }
        return out;
    }

    private static Tensor arg(Tensor[] in, int i) { return i < in.length && in[i] != null && in[i].size() > 0 ? in[i] : null; }

    private static Tensor[] resize(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int[] s = x.shape();
        boolean old = legacy(n, ctx.opset());
        if (n.attrInt("antialias", 0) != 0) throw new UnsupportedOpException("Resize antialias=1");
        if (n.has("axes")) throw new UnsupportedOpException("Resize axes");
        if (!n.attrString("keep_aspect_ratio_policy", "stretch").equals("stretch"))
            throw new UnsupportedOpException("Resize keep_aspect_ratio_policy=" + n.attrString("keep_aspect_ratio_policy", ""));
        Tensor scalesT = old ? (n.has("scales") ? Tensor.of(n.attrFloats("scales", null)) : arg(in, 1)) : arg(in, 2);
        Tensor sizesT = old ? null : arg(in, 3);
        Tensor roiT = old ? null : arg(in, 1);
        if (scalesT == null && sizesT == null) throw new NnzipException(n.opType() + ": needs scales or sizes");
        double[] scales = scalesT == null ? null : Values.doubles(scalesT);
        long[] sizes = sizesT == null ? null : sizesT.toLongs();
        if ((scales != null ? scales.length : sizes.length) != s.length) throw new NnzipException(n.opType() + ": scales/sizes must have one entry per dim of " + Shapes.str(s));
        int[] out = outShape(n, s, scales, sizes);
        if (scales == null) {
            scales = new double[s.length];
            for (int d = 0; d < s.length; d++) scales[d] = (double) out[d] / s[d];
        }
        String mode = n.attrString("mode", "nearest");
        String ctm = old ? "asymmetric" : n.attrString("coordinate_transformation_mode", "half_pixel");
        String nearest = old ? "floor" : n.attrString("nearest_mode", "round_prefer_floor");
        double[] roi = roiT == null ? null : Values.doubles(roiT);
        Taps[] taps = new Taps[s.length];
        for (int d = 0; d < s.length; d++) taps[d] = axisTaps(n, mode, ctm, nearest, s[d], out[d], scales[d], roi, d, s.length);
        return new Tensor[] {apply(x, out, taps, n.attrFloat("extrapolation_value", 0f))};
    }

    private static Taps axisTaps(Node n, String mode, String ctm, String nearest, int len, int outLen, double scale, double[] roi, int d, int rank) {
        int[][] idx = new int[outLen][];
        double[][] w = new double[outLen][];
        double a = n.attrFloat("cubic_coeff_a", -0.75f);
        boolean exclude = n.attrInt("exclude_outside", 0) == 1;
        for (int o = 0; o < outLen; o++) {
            double xo = switch (ctm) {
                case "half_pixel" -> (o + 0.5) / scale - 0.5;
                case "asymmetric" -> o / scale;
                case "pytorch_half_pixel" -> outLen > 1 ? (o + 0.5) / scale - 0.5 : 0;
                case "tf_half_pixel_for_nn" -> (o + 0.5) / scale;
                // The reference divides by the unrounded scaled length len * scale, not the output size.
                case "align_corners" -> outLen == 1 ? 0 : o * (len - 1.0) / (len * scale - 1.0);
                case "tf_crop_and_resize" -> {
                    double st = roi == null ? 0 : roi[d], en = roi == null ? 1 : roi[d + rank];
                    yield outLen > 1 ? st * (len - 1) + o * (en - st) * (len - 1) / (outLen - 1.0) : 0.5 * (st + en) * (len - 1);
                }
                default -> throw new UnsupportedOpException("Resize coordinate_transformation_mode=" + ctm);
            };
            if (ctm.equals("tf_crop_and_resize") && (xo < 0 || xo > len - 1)) {
                idx[o] = new int[] {-1};
                w[o] = new double[] {1};
                continue;
            }
            switch (mode) {
                case "nearest" -> {
                    double f = Math.floor(xo), frac = xo - f;
                    long i = switch (nearest) {
                        case "round_prefer_floor" -> frac == 0.5 ? (long) f : Math.round(xo);
                        case "round_prefer_ceil" -> frac == 0.5 ? (long) f + 1 : Math.round(xo);
                        case "floor" -> (long) f;
                        case "ceil" -> (long) Math.ceil(xo);
                        default -> throw new UnsupportedOpException("Resize nearest_mode=" + nearest);
                    };
                    idx[o] = new int[] {(int) Math.max(0, Math.min(len - 1, i))};
                    w[o] = new double[] {1};
                }
                case "linear" -> {
                    double c = Math.max(0, Math.min(len - 1, xo));
                    int i0 = (int) Math.floor(c), i1 = Math.min(len - 1, i0 + 1);
                    double t = c - i0;
                    idx[o] = new int[] {i0, i1};
                    w[o] = new double[] {1 - t, t};
                }
                case "cubic" -> {
                    int base = (int) Math.floor(xo);
                    double t = xo - base;
                    int[] ii = new int[4];
                    double[] ww = new double[4];
                    double sum = 0;
                    for (int k = 0; k < 4; k++) {
                        int src = base - 1 + k;
                        double dist = Math.abs(t - (k - 1));
                        double wt = cubic(dist, a);
                        if (exclude && (src < 0 || src >= len)) wt = 0;
                        ii[k] = Math.max(0, Math.min(len - 1, src));
                        ww[k] = wt;
                        sum += wt;
                    }
                    if (exclude && sum != 0) for (int k = 0; k < 4; k++) ww[k] /= sum;
                    idx[o] = ii;
                    w[o] = ww;
                }
                default -> throw new UnsupportedOpException("Resize mode=" + mode);
            }
        }
        return new Taps(idx, w);
    }

    /** Keys' cubic convolution kernel with parameter a. */
    private static double cubic(double d, double a) {
        if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
        if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        return 0;
    }

    // x: (d_i) -> (out_i)
    private static Tensor apply(Tensor x, int[] out, Taps[] taps, double extrapolation) {
        int r = out.length, n = Shapes.numel(out);
        int[] st = Shapes.strides(x.shape());
        double[] v = Values.doubles(x), y = new double[n];
        int[] coord = new int[r];
        for (int i = 0; i < n; i++) {
            y[i] = sum(v, st, taps, coord, 0, 0, 1, extrapolation);
            for (int d = r - 1; d >= 0; d--) {
                if (++coord[d] < out[d]) break;
                coord[d] = 0;
            }
        }
        return Values.fromDoubles(x.dtype(), out, y);
    }

    private static double sum(double[] v, int[] st, Taps[] taps, int[] coord, int d, int off, double w, double extrapolation) {
        if (d == coord.length) return w * v[off];
        int[] idx = taps[d].index()[coord[d]];
        double[] wt = taps[d].weight()[coord[d]];
        if (idx[0] < 0) return w * extrapolation;
        double acc = 0;
        for (int k = 0; k < idx.length; k++) if (wt[k] != 0) acc += sum(v, st, taps, coord, d + 1, off + idx[k] * st[d], w * wt[k], extrapolation);
        return acc;
    }

    private static ValueType[] rule(Node n, ValueType[] in, int opset) {
        int[] s = in[0].shape();
        if (s == null) return Rules.one(in[0].dtype(), null);
        boolean old = legacy(n, opset);
        int si = old ? 1 : 2;
        long[] sizes = old ? null : Rules.constInts(in, 3);
        ValueType sc = si < in.length ? in[si] : null;
        double[] scales = null;
        if (old && n.has("scales")) {
            float[] f = n.attrFloats("scales", null);
            scales = new double[f.length];
            for (int i = 0; i < f.length; i++) scales[i] = f[i];
        } else if (sc != null && sc.isConstant() && sc.constant().size() > 0) {
            scales = Values.doubles(sc.constant());
        }
        if ((sizes == null || sizes.length == 0) && scales == null) return Rules.one(in[0].dtype(), Rules.unknownDims(s.length));
        if (sizes != null && sizes.length == 0) sizes = null;
        int[] out = outShape(n, s, scales, sizes);
        for (int d = 0; d < s.length; d++) if (s[d] < 0 && sizes == null) out[d] = -1;
        return Rules.one(in[0].dtype(), out);
    }
}
