package io.nnzip.quant.weight;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.QuantMath;
import java.util.ArrayList;
import java.util.List;

/**
 * Grouped weight-only quantization to {@code bits} (4 or 2): each output row is cut into groups of
 * {@code groupSize} consecutive inputs, each group gets its own scale and zero point (asymmetric; the range is
 * shrunk from [min, max] where that lowers the group's squared error, which matters most at 2 bits).
 * Stored either as int4 behind a blocked DequantizeLinear (opset 21, block_size = group) or, for runtimes without
 * it, as int8 rows of one group each behind a per-axis DequantizeLinear (opset 13).
 */
public final class GroupedLinearQuantizer {
    private final int bits, groupSize;
    private final boolean int4Container;

    public GroupedLinearQuantizer(int bits, int groupSize, boolean int4Container) {
        this.bits = bits;
        this.groupSize = groupSize;
        this.int4Container = int4Container;
    }

    public EncodedWeight encode(Tensor w, int outAxis) {
        WeightMatrix wm = WeightMatrix.of(w, outAxis);
        return encode(w, outAxis, round(wm.m(), wm.rows(), wm.cols(), group(wm.cols()), bits));
    }

    /** The group along the reduction axis this container can store for {@code cols} inputs. */
    public int group(int cols) {
        // the int8 layout needs whole groups per row; blocked DequantizeLinear allows a short last block
        return int4Container ? Math.min(groupSize, cols) : divisorAtMost(cols, groupSize);
    }

    /** Round-to-nearest of a rows × cols matrix with one searched scale and zero point per group. */
    public static GroupedInts round(float[] m, int rows, int cols, int g, int bits) {
        int groups = (cols + g - 1) / g, qmin = QuantMath.qminBits(bits), qmax = QuantMath.qmaxBits(bits);
        int[] q = new int[m.length], zps = new int[rows * groups];
        float[] scales = new float[rows * groups];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < groups; j++) {
                int from = r * cols + j * g, to = r * cols + Math.min(cols, (j + 1) * g);
                float[] sz = bestParams(m, from, to, qmin, qmax);
                scales[r * groups + j] = sz[0];
                zps[r * groups + j] = (int) sz[1];
                for (int i = from; i < to; i++) q[i] = QuantMath.quantize(m[i], sz[0], (int) sz[1], qmin, qmax);
            }
        return new GroupedInts(q, scales, zps, rows, cols, g, bits);
    }

    /** Stores given grouped integers of {@code w} (seen along {@code outAxis}) in this quantizer's container. */
    public EncodedWeight encode(Tensor w, int outAxis, GroupedInts gi) {
        WeightMatrix wm = WeightMatrix.of(w, outAxis);
        if (gi.rows() != wm.rows() || gi.cols() != wm.cols() || gi.group() != group(wm.cols()))
            throw new IllegalArgumentException("grouped ints " + gi.rows() + "x" + gi.cols() + " g" + gi.group() + " do not fit " + w);
        int rows = wm.rows(), cols = wm.cols(), gg = gi.group(), groups = gi.groups();
        int[] q = gi.q(), zps = gi.zeroPoints();
        float[] scales = gi.scales();
        DType type = int4Container ? DType.INT4 : DType.INT8;
        long bytes = type.rawBytes(q.length) + 4L * scales.length + type.rawBytes(zps.length);
        EncodedWeight.Emitter emit = (graph, base) -> {
            String dq;
            if (int4Container) {
                String qi = Containers.init(graph, base + "_q" + bits, Containers.ints(DType.INT4, new int[] {rows, cols}, q));
                String si = Containers.init(graph, base + "_scale", Tensor.of(scales, rows, groups));
                String zi = Containers.init(graph, base + "_zero_point", Containers.ints(DType.INT4, new int[] {rows, groups}, zps));
                dq = Containers.node(graph, "DequantizeLinear", base + "_dq", new ArrayList<>(List.of(qi, si, zi)),
                        Attribute.of("axis", 1L), Attribute.of("block_size", (long) gg));
            } else {
                String qi = Containers.init(graph, base + "_q" + bits, Containers.ints(DType.INT8, new int[] {rows * groups, gg}, q));
                String si = Containers.init(graph, base + "_scale", Tensor.of(scales, rows * groups));
                String zi = Containers.init(graph, base + "_zero_point", Containers.ints(DType.INT8, new int[] {rows * groups}, zps));
                dq = Containers.node(graph, "DequantizeLinear", base + "_dq", new ArrayList<>(List.of(qi, si, zi)), Attribute.of("axis", 0L));
                dq = Containers.reshape(graph, dq, new int[] {rows, cols}, base + "_rows");
            }
            return wm.restore(graph, dq, base);
        };
        return new EncodedWeight(wm.toOriginal(gi.decoded()), bits, type.lower() + " g" + gg, bytes, gi.minScale(), gi.maxScale(), 0, emit);
    }

    /** Scale and zero point for one group: the shrink of [min, max] with the least squared error. */
    public static float[] bestParams(float[] x, int from, int to, int qmin, int qmax) {
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (int i = from; i < to; i++) {
            lo = Math.min(lo, x[i]);
            hi = Math.max(hi, x[i]);
        }
        float[] best = null;
        double bestErr = Double.MAX_VALUE;
        for (int step = 0; step < 10; step++) {
            double f = 1 - 0.05 * step;
            float l = (float) (lo * f), h = (float) (hi * f);
            float scale = h > l ? (h - l) / (qmax - qmin) : Math.max(Math.abs(lo), 1e-8f);
            int zp = (int) Math.max(qmin, Math.min(qmax, Math.rint(qmin - l / scale)));
            double err = 0;
            for (int i = from; i < to; i++) {
                double d = x[i] - QuantMath.fake(x[i], scale, zp, qmin, qmax);
                err += d * d;
            }
            if (err < bestErr) {
                bestErr = err;
                best = new float[] {scale, zp};
            }
        }
        return best;
    }

    static int divisorAtMost(int n, int limit) {
        for (int d = Math.min(n, limit); d > 1; d--) if (n % d == 0) return d;
        return 1;
    }
}
