package io.nnzip.codec.rd;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.TensorCodec;
import io.nnzip.codec.TensorUnit;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import java.util.Random;

/**
 * Rate and squared error of rounding to nearest, scalar RDOQ and dependent quantization on 200,000 unit-scale
 * Laplacian weights, QP −12 to 4 ({@code DqDiagMain}, no arguments): the quantizers' own efficiency, apart from accuracy.
 */
final class DqDiagMain {
    public static void main(String[] a) {
        int n = 200000;
        Random r = new Random(1);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) { double u = r.nextDouble() - 0.5; w[i] = (float) (-Math.signum(u) * Math.log(1 - 2 * Math.abs(u))); }
        Tensor t = new Tensor(DType.FLOAT, new int[] {n / 100, 100}, w);
        for (int qp = -12; qp <= 4; qp += 2) {
            StringBuilder sb = new StringBuilder("qp " + qp + ":");
            for (int mode : new int[] {-1, 1, 2}) {
                TensorCodec.Policy p = mode < 0 ? new TensorCodec.Policy(true, qp, -1, 0.5) : new TensorCodec.Policy(true, qp, -1, Double.NaN, 1, 23, mode);
                TensorUnit u = TensorCodec.encode(0, "t", t, p, null);
                float[] d = TensorCodec.decode(u, null).floats();
                double e = 0;
                for (int i = 0; i < n; i++) e += (w[i] - d[i]) * (double) (w[i] - d[i]);
                sb.append(String.format("  [%s %s] %.3f b/w, mse %.5f, snr %.2f dB", mode, u.dependent ? "dq" : "sc", u.codedBytes() * 8.0 / n, e / n, 10 * Math.log10(2.0 / (e / n))));
            }
            System.out.println(sb);
        }
    }
}
