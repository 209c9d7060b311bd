package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Axes;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * Slice (opset 1 attributes; inputs from opset 10, with steps, negative ones included) and Pad (constant, reflect,
 * edge; pads as attribute before opset 11, as input after; negative pads crop). Both map every output coordinate
 * to an input coordinate per dim and gather. Registered via {@link LayoutOps}.
 */
final class SlicePadOps {
    private SlicePadOps() {}

    static void register() {
        OpRegistry.register("Slice", SlicePadOps::slice, SlicePadOps::sliceRule);
        OpRegistry.register("Pad", SlicePadOps::pad, SlicePadOps::padRule);
    }

    /** Per dim: start, step and length of the slice; {@code s} is the input shape. */
    private static int[][] sliceSpec(Node n, int[] s, long[] starts, long[] ends, long[] axes, long[] steps) {
        int r = s.length;
        int[] start = new int[r], step = new int[r], len = s.clone();
        java.util.Arrays.fill(step, 1);
        if (starts.length != ends.length) throw new NnzipException("Slice: " + starts.length + " starts but " + ends.length + " ends");
        int[] ax = axes == null ? java.util.stream.IntStream.range(0, starts.length).toArray() : Axes.normalize(n, axes, r);
        for (int i = 0; i < ax.length; i++) {
            int d = ax[i];
            long dim = s[d], st = steps == null ? 1 : steps[i];
            if (st == 0) throw new NnzipException("Slice: step 0 on axis " + d);
            long b = starts[i], e = ends[i];
            if (b < 0) b += dim;
            if (e < 0) e += dim;
            if (st > 0) {
                b = Math.max(0, Math.min(dim, b));
                e = Math.max(0, Math.min(dim, e));
            } else {
                b = Math.max(0, Math.min(dim - 1, b));
                e = Math.max(-1, Math.min(dim - 1, e));
            }
            long l = st > 0 ? (e - b + st - 1) / st : (b - e + (-st) - 1) / (-st);
            start[d] = (int) b;
            step[d] = (int) st;
            len[d] = (int) Math.max(0, l);
        }
        return new int[][] {start, step, len};
    }

    private static long[][] sliceArgs(Node n, Tensor[] in, int opset) {
        if (opset < 10 || n.has("starts")) {
            long[] st = n.attrInts("starts", null), en = n.attrInts("ends", null);
            if (st == null || en == null) throw new NnzipException("Slice: starts and ends attributes are required");
            return new long[][] {st, en, n.attrInts("axes", null), null};
        }
        return new long[][] {in[1].toLongs(), in[2].toLongs(), opt(in, 3), opt(in, 4)};
    }

    private static long[] opt(Tensor[] in, int i) { return i < in.length && in[i] != null ? in[i].toLongs() : null; }

    // x: (d_i) -> (len_i), y[c] = x[start + c * step] per dim
    private static Tensor[] slice(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        long[][] a = sliceArgs(n, in, ctx.opset());
        int[][] spec = sliceSpec(n, x.shape(), a[0], a[1], a[2], a[3]);
        int[] st = Shapes.strides(x.shape()), ps = new int[st.length];
        int base = 0;
        for (int d = 0; d < st.length; d++) {
            base += spec[0][d] * st[d];
            ps[d] = spec[1][d] * st[d];
        }
        return new Tensor[] {Index.gather(x, spec[2], Index.strided(spec[2], ps, base))};
    }

    private static ValueType[] sliceRule(Node n, ValueType[] in, int opset) {
        int[] s = in[0].shape();
        if (s == null) return Rules.one(in[0].dtype(), null);
        long[][] a;
        if (opset < 10 || n.has("starts")) {
            a = new long[][] {n.attrInts("starts", null), n.attrInts("ends", null), n.attrInts("axes", null), null};
        } else {
            a = new long[][] {Rules.constInts(in, 1), Rules.constInts(in, 2), Rules.constInts(in, 3), Rules.constInts(in, 4)};
            boolean missing = a[0] == null || a[1] == null || (Rules.present(in, 3) && a[2] == null) || (Rules.present(in, 4) && a[3] == null);
            if (missing) return Rules.one(in[0].dtype(), Rules.unknownDims(s.length));
        }
        int[] probe = s.clone();
        for (int i = 0; i < probe.length; i++) if (probe[i] < 0) probe[i] = Integer.MAX_VALUE / 2;
        int[] len = sliceSpec(n, probe, a[0], a[1], a[2], a[3])[2];
        for (int i = 0; i < len.length; i++) if (s[i] < 0 && (len[i] == probe[i] || touchesEnd(n, a, i, s.length))) len[i] = -1;
        return Rules.one(in[0].dtype(), len);
    }

    /** Whether the slice along dim {@code d} of unknown size depends on that size (negative or clamped bounds). */
    private static boolean touchesEnd(Node n, long[][] a, int d, int rank) {
        int[] ax = a[2] == null ? java.util.stream.IntStream.range(0, a[0].length).toArray() : Axes.normalize(n, a[2], rank);
        for (int i = 0; i < ax.length; i++) if (ax[i] == d) return a[0][i] < 0 || a[1][i] < 0 || a[1][i] > Integer.MAX_VALUE / 4;
        return true;
    }

    /** Pads as (begin_0..begin_r, end_0..end_r) over all dims, from the attribute, or the input with optional axes. */
    private static long[] pads(Node n, Tensor[] in, int opset, int rank) {
        long[] p = n.attrInts("pads", n.attrInts("paddings", null));
        if (p == null && (opset >= 11 || in.length > 1)) {
            if (in.length < 2 || in[1] == null) throw new NnzipException("Pad: pads input is required");
            p = in[1].toLongs();
            if (in.length > 3 && in[3] != null) {
                int[] ax = Axes.normalize(n, in[3].toLongs(), rank);
                long[] full = new long[2 * rank];
                for (int i = 0; i < ax.length; i++) {
                    full[ax[i]] = p[i];
                    full[ax[i] + rank] = p[i + ax.length];
                }
                p = full;
            }
        }
        if (p == null || p.length != 2 * rank) throw new NnzipException("Pad: needs " + 2 * rank + " pads for rank " + rank + ", got " + (p == null ? "none" : p.length));
        return p;
    }

    // x: (d_i) -> (d_i + begin_i + end_i)
    private static Tensor[] pad(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int[] s = x.shape();
        int r = s.length;
        long[] p = pads(n, in, ctx.opset(), r);
        String mode = n.attrString("mode", "constant");
        if (!mode.equals("constant") && !mode.equals("reflect") && !mode.equals("edge")) throw new UnsupportedOpException("Pad mode=" + mode);
        int[] out = new int[r];
        int[][] map = new int[r][];
        for (int d = 0; d < r; d++) {
            out[d] = (int) (s[d] + p[d] + p[d + r]);
            if (out[d] < 0) throw new NnzipException("Pad: pads " + java.util.Arrays.toString(p) + " crop dim " + d + " of " + Shapes.str(s) + " below zero");
            map[d] = new int[out[d]];
            for (int c = 0; c < out[d]; c++) map[d][c] = source(c - (int) p[d], s[d], mode);
        }
        int[] idx = Index.perDim(out, map, Shapes.strides(s));
        // Out-of-range elements read one fill value appended after the input's elements.
        Tensor fill = fillValue(n, in, x);
        int extra = x.size();
        for (int i = 0; i < idx.length; i++) if (idx[i] < 0) idx[i] = extra;
        Object src = ElementwiseOps.concat(x.data(), fill.data());
        return new Tensor[] {new Tensor(x.dtype(), out, Index.take(src, idx))};
    }

    private static int source(int c, int dim, String mode) {
        if (c >= 0 && c < dim) return c;
        if (dim == 0) return -1;
        return switch (mode) {
            case "edge" -> c < 0 ? 0 : dim - 1;
            case "reflect" -> {
                if (dim == 1) yield 0;
                int period = 2 * (dim - 1), m = Math.floorMod(c, period);
                yield m < dim ? m : period - m;
            }
            default -> -1;
        };
    }

    private static Tensor fillValue(Node n, Tensor[] in, Tensor x) {
        if (in.length > 2 && in[2] != null) {
            if (in[2].dtype() != x.dtype()) throw new NnzipException("Pad: constant_value is " + in[2].dtype().lower() + ", input is " + x.dtype().lower());
            return in[2].reshape(in[2].size() == 1 ? new int[] {1} : in[2].shape());
        }
        double v = n.attrFloat("value", 0f);
        return io.nnzip.engine.ops.support.Values.fromDoubles(x.dtype(), new int[] {1}, new double[] {v});
    }

    private static ValueType[] padRule(Node n, ValueType[] in, int opset) {
        int[] s = in[0].shape();
        if (s == null) return Rules.one(in[0].dtype(), null);
        int r = s.length;
        long[] p = n.attrInts("pads", n.attrInts("paddings", null));
        if (p == null) {
            p = Rules.constInts(in, 1);
            if (p == null || (Rules.present(in, 3) && !in[3].isConstant())) return Rules.one(in[0].dtype(), Rules.unknownDims(r));
            if (Rules.present(in, 3)) {
                int[] ax = Axes.normalize(n, Rules.constInts(in, 3), r);
                long[] full = new long[2 * r];
                for (int i = 0; i < ax.length; i++) {
                    full[ax[i]] = p[i];
                    full[ax[i] + r] = p[i + ax.length];
                }
                p = full;
            }
        }
        if (p.length != 2 * r) throw new NnzipException("Pad: needs " + 2 * r + " pads for rank " + r + ", got " + p.length);
        int[] out = new int[r];
        for (int d = 0; d < r; d++) out[d] = s[d] < 0 ? -1 : (int) (s[d] + p[d] + p[d + r]);
        return Rules.one(in[0].dtype(), out);
    }
}
