package io.nnzip.engine.ops;

import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/** Gemm and MatMul on non-float32 numeric types (double, integers): plain loops in double precision. */
final class MatMulFallback {
    private MatMulFallback() {}

    // A: (M,K)|(K,M), B: (K,N)|(N,K), C: broadcastable to (M,N) -> (M,N)
    static double[] gemm(Tensor a, Tensor b, Tensor c, boolean ta, boolean tb, float alpha, float beta, int m, int k, int n) {
        double[] y = new double[m * n];
        int lda = a.dim(1), ldb = b.dim(1);
        int[] cs = c == null ? new int[0] : c.shape();
        int cm = cs.length == 2 ? cs[0] : 1, cn = cs.length >= 1 ? cs[cs.length - 1] : 1;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += a.getDouble(ta ? p * lda + i : i * lda + p) * b.getDouble(tb ? j * ldb + p : p * ldb + j);
                double cv = c == null ? 0 : c.getDouble((cm == 1 ? 0 : i * cn) + (cn == 1 ? 0 : j));
                y[i * n + j] = alpha * s + beta * cv;
            }
        return y;
    }

    static Tensor matMul(Tensor a, Tensor b, MatMulPlan p) {
        int m = p.m(), k = p.k(), n = p.n();
        double[] y = new double[p.batches() * m * n];
        for (int bi = 0; bi < p.batches(); bi++) {
            int ao = p.aOffset(bi), bo = p.bOffset(bi), yo = bi * m * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) s += a.getDouble(ao + i * k + q) * b.getDouble(bo + q * n + j);
                    y[yo + i * n + j] = s;
                }
        }
        return toTensor(a.dtype(), y, p.outShape());
    }

    static Tensor toTensor(DType t, double[] v, int... shape) {
        Tensor out = Tensor.zeros(t, shape);
        switch (t) {
            case DOUBLE -> System.arraycopy(v, 0, out.doubles(), 0, v.length);
            case INT64, UINT64, UINT32 -> { long[] o = out.longs(); for (int i = 0; i < v.length; i++) o[i] = (long) v[i]; }
            case INT32 -> { int[] o = out.ints(); for (int i = 0; i < v.length; i++) o[i] = (int) v[i]; }
            case FLOAT16 -> { short[] o = out.shorts(); for (int i = 0; i < v.length; i++) o[i] = Float.floatToFloat16((float) v[i]); }
            default -> throw new UnsupportedOpException("MatMul/Gemm on " + t.lower());
        }
        return out;
    }
}
