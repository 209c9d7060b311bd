package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/** Less common ops that exporters still emit: Det, ReverseSequence, MaxUnpool. Registered by {@link MiscOps}. */
final class ExtraOps {
    private ExtraOps() {}

    static void register() {
        OpRegistry.register("Det", ExtraOps::det, (n, in, o) -> {
            int[] s = in[0].shape();
            return Rules.one(in[0].dtype(), s == null ? null : java.util.Arrays.copyOf(s, s.length - 2));
        });
        OpRegistry.register("ReverseSequence", ExtraOps::reverseSequence, Rules.SAME);
        OpRegistry.register("MaxUnpool", ExtraOps::maxUnpool, ExtraOps::maxUnpoolRule);
    }

    // x: (batch.., M, M) -> (batch..), by LU decomposition with partial pivoting in double
    private static Tensor[] det(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("Det on " + x.dtype().lower());
        int[] s = x.shape();
        int r = s.length, m = s[r - 1];
        if (r < 2 || s[r - 2] != m) throw new NnzipException("Det: input must be (.., M, M), got " + Shapes.str(s));
        int batch = Shapes.product(s, 0, r - 2);
        double[] v = Values.doubles(x), out = new double[batch];
        for (int b = 0; b < batch; b++) {
            double[] a = java.util.Arrays.copyOfRange(v, b * m * m, (b + 1) * m * m);
            double det = 1;
            for (int c = 0; c < m; c++) {
                int piv = c;
                for (int i = c + 1; i < m; i++) if (Math.abs(a[i * m + c]) > Math.abs(a[piv * m + c])) piv = i;
                if (a[piv * m + c] == 0) {
                    det = 0;
                    break;
                }
                if (piv != c) {
                    for (int j = 0; j < m; j++) {
                        double t = a[c * m + j];
                        a[c * m + j] = a[piv * m + j];
                        a[piv * m + j] = t;
                    }
                    det = -det;
                }
                det *= a[c * m + c];
                for (int i = c + 1; i < m; i++) {
                    double f = a[i * m + c] / a[c * m + c];
                    for (int j = c; j < m; j++) a[i * m + j] -= f * a[c * m + j];
                }
            }
            out[b] = det;
        }
        return new Tensor[] {Values.fromDoubles(x.dtype(), java.util.Arrays.copyOf(s, r - 2), out)};
    }

    // x: (T, B, ..) or (B, T, ..), lens: (B) -> same, the first lens[b] steps of each batch entry reversed
    private static Tensor[] reverseSequence(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        long[] lens = in[1].toLongs();
        int[] s = x.shape();
        int bAxis = (int) n.attrInt("batch_axis", 1), tAxis = (int) n.attrInt("time_axis", 0);
        int[] st = Shapes.strides(s);
        int size = x.size();
        int[] idx = new int[size];
        for (int i = 0; i < size; i++) {
            int b = (i / st[bAxis]) % s[bAxis], t = (i / st[tAxis]) % s[tAxis];
            long len = lens[b];
            idx[i] = t < len ? i + (int) (len - 1 - 2L * t) * st[tAxis] : i;
        }
        return new Tensor[] {Index.gather(x, s, idx)};
    }

    private static int[] unpoolShape(Node n, int[] s) {
        long[] k = n.attrInts("kernel_shape", null), st = n.attrInts("strides", null), p = n.attrInts("pads", null);
        int sp = s.length - 2;
        if (k == null || k.length != sp) throw new NnzipException("MaxUnpool: kernel_shape must have " + sp + " entries");
        int[] out = s.clone();
        for (int i = 0; i < sp; i++) {
            long stride = st == null ? 1 : st[i], pad = p == null ? 0 : p[i] + p[i + sp];
            out[i + 2] = s[i + 2] < 0 ? -1 : (int) ((s[i + 2] - 1) * stride + k[i] - pad);
        }
        return out;
    }

    private static ValueType[] maxUnpoolRule(Node n, ValueType[] in, int opset) {
        long[] os = Rules.constInts(in, 2);
        if (os != null) return Rules.one(in[0].dtype(), java.util.Arrays.stream(os).mapToInt(v -> (int) v).toArray());
        if (Rules.present(in, 2) || in[0].shape() == null) return Rules.one(in[0].dtype(), in[0].shape() == null ? null : Rules.unknownDims(in[0].rank()));
        return Rules.one(in[0].dtype(), unpoolShape(n, in[0].shape()));
    }

    /** Indices address the default output shape; an explicit output_shape keeps each element's coordinates. */
    private static long[] relocate(long[] idx, int[] from, int[] to) {
        if (from.length != to.length) throw new NnzipException("MaxUnpool: output_shape rank " + to.length + " differs from input rank " + from.length);
        int[] fs = Shapes.strides(from), ts = Shapes.strides(to);
        long[] r = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            long f = idx[i], t = 0;
            for (int d = 0; d < from.length; d++) {
                long c = f / fs[d];
                f %= fs[d];
                t += c * ts[d];
            }
            r[i] = t;
        }
        return r;
    }

    // x: (N,C,D..), indices: int64 like x, flat positions in the output -> zeros with x scattered at indices
    private static Tensor[] maxUnpool(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int[] dflt = unpoolShape(n, x.shape());
        int[] out = in.length > 2 && in[2] != null ? in[2].toInts() : dflt;
        long[] idx = in[1].toLongs();
        if (!java.util.Arrays.equals(out, dflt)) idx = relocate(idx, dflt, out);
        int total = Shapes.numel(out);
        int[] pick = new int[total];
        java.util.Arrays.fill(pick, x.size());
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= total) throw new NnzipException("MaxUnpool: index " + idx[i] + " outside output of " + total + " elements");
            pick[(int) idx[i]] = i;
        }
        Object zero = Tensor.allocate(x.dtype(), 1);
        return new Tensor[] {new Tensor(x.dtype(), out, Index.take(ElementwiseOps.concat(x.data(), zero), pick))};
    }
}
