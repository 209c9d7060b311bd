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
        OpRegistry.register("STFT", SignalOps::stft, (n, in, o) -> Rules.one(in[0].dtype(), in[0].shape() == null ? null : new int[] {in[0].shape()[0], -1, -1, 2}));
        OpRegistry.register("MelWeightMatrix", SignalOps::melWeights, (n, in, o) -> Rules.one(DType.fromOnnx((int) n.attrInt("output_datatype", 1)), new int[] {-1, -1}));
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

    // signal: (B, T, 1|2), frame_step: (), window: (L), frame_length: () -> (B, frames, L/2+1 or L, 2)
    private static Tensor[] stft(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("STFT on " + x.dtype().lower());
        int[] s = x.shape();
        if (s.length != 3 || (s[2] != 1 && s[2] != 2)) throw new NnzipException("STFT: signal must be (B, T, 1|2), got " + Shapes.str(s));
        int step = (int) in[1].getLong(0);
        Tensor win = in.length > 2 ? in[2] : null;
        int L = win != null ? win.size() : in.length > 3 && in[3] != null ? (int) in[3].getLong(0) : -1;
        if (L <= 0 || step <= 0) throw new NnzipException("STFT: needs a window or frame_length, and a positive frame_step");
        boolean onesided = n.attrInt("onesided", 1) == 1;
        int B = s[0], T = s[1], comps = s[2], frames = 1 + (T - L) / step, K = onesided ? L / 2 + 1 : L;
        double[] v = Values.doubles(x), w = win == null ? null : Values.doubles(win), y = new double[B * frames * K * 2];
        for (int b = 0; b < B; b++)
            for (int f = 0; f < frames; f++)
                for (int k = 0; k < K; k++) {
                    double re = 0, im = 0;
                    for (int t = 0; t < L; t++) {
                        int at = (b * T + f * step + t) * comps;
                        double wt = w == null ? 1 : w[t], xr = v[at] * wt, xi = comps == 2 ? v[at + 1] * wt : 0;
                        double ang = -2 * Math.PI * ((long) k * t % L) / L, c = Math.cos(ang), sn = Math.sin(ang);
                        re += xr * c - xi * sn;
                        im += xr * sn + xi * c;
                    }
                    int at = ((b * frames + f) * K + k) * 2;
                    y[at] = re;
                    y[at + 1] = im;
                }
        return new Tensor[] {Values.fromDoubles(x.dtype(), new int[] {B, frames, K, 2}, y)};
    }

    /**
     * Triangular mel filters over the dft_length/2+1 spectrogram bins, edges spaced on the HTK mel scale. As in the
     * ONNX reference, the mel range is divided into num_mel_bins + 2 steps (not + 1) and edges are floored bins.
     */
    private static Tensor[] melWeights(Node n, Tensor[] in, ExecContext ctx) {
        int mels = (int) in[0].getLong(0), dft = (int) in[1].getLong(0), rate = (int) in[2].getLong(0);
        double lo = in[3].getDouble(0), hi = in[4].getDouble(0);
        int bins = dft / 2 + 1;
        double loMel = 2595 * Math.log10(1 + lo / 700), hiMel = 2595 * Math.log10(1 + hi / 700), stepMel = (hiMel - loMel) / (mels + 2);
        int[] edge = new int[mels + 2];
        for (int i = 0; i < edge.length; i++) {
            double hz = 700 * (Math.pow(10, (i * stepMel + loMel) / 2595) - 1);
            edge[i] = (int) Math.floor((dft + 1) * hz / rate);
        }
        double[] w = new double[bins * mels];
        for (int m = 0; m < mels; m++) {
            int l = edge[m], c = edge[m + 1], r = edge[m + 2];
            if (c < 0 || r > bins) throw new NnzipException("MelWeightMatrix: band edges outside the " + bins + " spectrogram bins");
            if (c == l) w[c * mels + m] = 1;
            else for (int j = l; j <= c; j++) w[j * mels + m] = (double) (j - l) / (c - l);
            for (int j = c; j < r; j++) w[j * mels + m] = (double) (r - j) / (r - c);
        }
        return new Tensor[] {Values.fromDoubles(DType.fromOnnx((int) n.attrInt("output_datatype", 1)), new int[] {bins, mels}, w)};
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
