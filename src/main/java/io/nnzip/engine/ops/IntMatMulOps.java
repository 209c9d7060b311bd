package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.Arrays;

/**
 * Integer matrix products of quantized models: MatMulInteger (int32 sums of zero-point-shifted 8-bit values) and
 * QLinearMatMul (the same, requantized to the output scale and zero point). Batch dims broadcast as in MatMul;
 * accumulation is exact in long. Registered by {@link QuantOps}.
 */
final class IntMatMulOps {
    private IntMatMulOps() {}

    static void register() {
        OpRegistry.register("MatMulInteger", (n, in, c) -> new Tensor[] {matMulInteger(in)}, (n, in, o) -> Rules.one(DType.INT32, shape(n, in[0], in[1])));
        OpRegistry.register("QLinearMatMul", (n, in, c) -> new Tensor[] {qLinearMatMul(n, in)}, (n, in, o) -> Rules.one(in[7].dtype(), shape(n, in[0], in[3])));
    }

    private static int[] shape(Node n, ValueType a, ValueType b) {
        if (a.shape() == null || b.shape() == null) return null;
        return plan(a.shape(), b.shape()).out;
    }

    /** Shapes of the product: a (..., M, K) @ b (..., K, N) with 1-D operands promoted and their dim dropped after. */
    private record Plan(int[] batch, int M, int K, int N, int[] aBatch, int[] bBatch, int[] out) {}

    private static Plan plan(int[] sa, int[] sb) {
        int[] a = sa.length == 1 ? new int[] {1, sa[0]} : sa, b = sb.length == 1 ? new int[] {sb[0], 1} : sb;
        int M = a[a.length - 2], K = a[a.length - 1], N = b[b.length - 1];
        if (b[b.length - 2] != K && K >= 0 && b[b.length - 2] >= 0) throw new NnzipException("inner dims differ: " + Shapes.str(sa) + " @ " + Shapes.str(sb));
        int[] ab = Arrays.copyOf(a, a.length - 2), bb = Arrays.copyOf(b, b.length - 2);
        int[] batch = Shapes.broadcast(ab, bb);
        int[] out = Arrays.copyOf(batch, batch.length + (sa.length > 1 ? 1 : 0) + (sb.length > 1 ? 1 : 0));
        if (sa.length > 1) out[batch.length] = M;
        if (sb.length > 1) out[out.length - 1] = N;
        return new Plan(batch, M, K, N, ab, bb, out);
    }

    /** Zero point per row of a (scalar or (M)) or per column of b (scalar or (N)). */
    private static long[] zeroPoints(Tensor zp, int count, String which) {
        long[] z = new long[count];
        if (zp == null) return z;
        long[] v = Values.longs(zp);
        if (v.length == 1) Arrays.fill(z, v[0]);
        else if (v.length == count) z = v;
        else throw new UnsupportedOpException(which + " zero point of shape " + Shapes.str(zp.shape()));
        return z;
    }

    /** Exact integer sums (a - za) (b - zb) for every output element, in row-major order of the output. */
    private static long[] products(Tensor a, Tensor b, Tensor za, Tensor zb) {
        for (Tensor t : new Tensor[] {a, b}) if (t.dtype() != DType.INT8 && t.dtype() != DType.UINT8) throw new UnsupportedOpException("integer MatMul on " + t.dtype().lower());
        Plan p = plan(a.shape(), b.shape());
        long[] av = Values.longs(a), bv = Values.longs(b), zra = zeroPoints(za, p.M, "a"), zcb = zeroPoints(zb, p.N, "b");
        int[] batchA = Index.broadcastMap(p.aBatch, p.batch), batchB = Index.broadcastMap(p.bBatch, p.batch);
        int nb = batchA.length, MK = p.M * p.K, KN = p.K * p.N;
        long[] y = new long[nb * p.M * p.N];
        for (int q = 0; q < nb; q++)
            for (int i = 0; i < p.M; i++)
                for (int j = 0; j < p.N; j++) {
                    long s = 0;
                    for (int k = 0; k < p.K; k++) s += (av[batchA[q] * MK + i * p.K + k] - zra[i]) * (bv[batchB[q] * KN + k * p.N + j] - zcb[j]);
                    y[(q * p.M + i) * p.N + j] = s;
                }
        return y;
    }

    // a: int8/uint8 (.., M, K), b: (.., K, N), zero points -> int32 (.., M, N)
    private static Tensor matMulInteger(Tensor[] in) {
        Tensor a = in[0], b = in[1];
        long[] y = products(a, b, in.length > 2 ? in[2] : null, in.length > 3 ? in[3] : null);
        return Values.fromLongs(DType.INT32, plan(a.shape(), b.shape()).out, y);
    }

    // a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp -> y_zp's type, saturate(round(sum * sa * sb / sy) + zy)
    private static Tensor qLinearMatMul(Node n, Tensor[] in) {
        Tensor a = in[0], b = in[3];
        if (in[1].size() != 1 || in[4].size() != 1 || in[6].size() != 1 || in[7].size() != 1) throw new UnsupportedOpException("QLinearMatMul with per-axis scales");
        long[] y = products(a, b, in[2], in[5]);
        double s = in[1].getDouble(0) * in[4].getDouble(0) / in[6].getDouble(0);
        long zy = in[7].getLong(0);
        long[] lim = QuantOps.range(in[7].dtype());
        for (int i = 0; i < y.length; i++) y[i] = Math.max(lim[0], Math.min(lim[1], (long) Math.rint(y[i] * s) + zy));
        return Values.fromLongs(in[7].dtype(), plan(a.shape(), b.shape()).out, y);
    }
}
