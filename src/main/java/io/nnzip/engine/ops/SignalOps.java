package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * Signal ops of opset 17: the Hann, Hamming and Blackman windows and DFT (complex values as a trailing dim of 2,
 * real input as a trailing dim of 1). Registered by {@link MiscOps}.
 */
final class SignalOps {
    private SignalOps() {}

    static void register() {
        window("HannWindow", new double[] {0.5, 0.5, 0});
        window("HammingWindow", new double[] {25.0 / 46, 21.0 / 46, 0});
        window("BlackmanWindow", new double[] {0.42, 0.5, 0.08});
        OpRegistry.register("DFT", SignalOps::dft, SignalOps::dftRule);
    }

    /** Generalized cosine window a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), N = size (periodic) or size - 1. */
    private static void window(String type, double[] a) {
        OpRegistry.register(type, (n, in, c) -> {
            int size = (int) in[0].getLong(0);
            if (size < 0) throw new NnzipException(type + ": negative size " + size);
            double len = n.attrInt("periodic", 1) == 1 ? size : size - 1;
            double[] w = new double[size];
            for (int i = 0; i < size; i++) {
                double t = 2 * Math.PI * i / len;
                w[i] = a[0] - a[1] * Math.cos(t) + a[2] * Math.cos(2 * t);
            }
            return new Tensor[] {Values.fromDoubles(DType.fromOnnx((int) n.attrInt("output_datatype", 1)), new int[] {size}, w)};
        }, (n, in, o) -> {
            long[] s = Rules.constInts(in, 0);
            return Rules.one(DType.fromOnnx((int) n.attrInt("output_datatype", 1)), new int[] {s == null ? -1 : (int) s[0]});
        });
    }

    // x: (batch.., L, 1|2) along axis -> (batch.., K, 2), K = dft_length or its onesided half
    private static Tensor[] dft(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("DFT on " + x.dtype().lower());
        int[] s = x.shape();
        int r = s.length;
        int axis = (int) n.attrInt("axis", 1);
        axis = axis < 0 ? axis + r : axis;
        if (axis < 0 || axis >= r - 1) throw new NnzipException("DFT: axis " + n.attrInt("axis", 1) + " out of range for rank " + r);
        if (s[r - 1] != 1 && s[r - 1] != 2) throw new NnzipException("DFT: last dim must be 1 (real) or 2 (complex), got " + s[r - 1]);
        boolean inverse = n.attrInt("inverse", 0) == 1, onesided = n.attrInt("onesided", 0) == 1;
        int len = s[axis], L = in.length > 1 && in[1] != null ? (int) in[1].getLong(0) : len;
        int K = onesided ? L / 2 + 1 : L, comps = s[r - 1];
        int outer = Shapes.product(s, 0, axis), inner = Shapes.product(s, axis + 1, r - 1);
        double[] v = Values.doubles(x);
        int[] os = s.clone();
        os[axis] = K;
        os[r - 1] = 2;
        double[] y = new double[Shapes.numel(os)];
        double sign = inverse ? 1 : -1;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                for (int k = 0; k < K; k++) {
                    double re = 0, im = 0;
                    for (int t = 0; t < Math.min(L, len); t++) {
                        int at = ((o * len + t) * inner + i) * comps;
                        double xr = v[at], xi = comps == 2 ? v[at + 1] : 0, ang = sign * 2 * Math.PI * ((long) k * t % L) / L;
                        double c = Math.cos(ang), sn = Math.sin(ang);
                        re += xr * c - xi * sn;
                        im += xr * sn + xi * c;
                    }
                    int at = ((o * K + k) * inner + i) * 2;
                    y[at] = inverse ? re / L : re;
                    y[at + 1] = inverse ? im / L : im;
                }
        return new Tensor[] {Values.fromDoubles(x.dtype(), os, y)};
    }

    private static ValueType[] dftRule(Node n, ValueType[] in, int opset) {
        int[] s = in[0].shape();
        if (s == null) return Rules.one(in[0].dtype(), null);
        int r = s.length, axis = (int) n.attrInt("axis", 1);
        axis = axis < 0 ? axis + r : axis;
        long[] l = Rules.constInts(in, 1);
        int L = Rules.present(in, 1) ? (l == null ? -1 : (int) l[0]) : s[axis];
        int[] out = s.clone();
        out[axis] = L < 0 ? -1 : n.attrInt("onesided", 0) == 1 ? L / 2 + 1 : L;
        out[r - 1] = 2;
        return Rules.one(in[0].dtype(), out);
    }

}
