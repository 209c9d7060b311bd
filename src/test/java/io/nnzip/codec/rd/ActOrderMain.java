package io.nnzip.codec.rd;

import io.nnzip.codec.UniformQuantizer;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.cabac.RangeEncoder;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.Set;

/** Analysis aid (not a test): bytes and layer-output error of a compensated update in natural vs activation order. Args: PARENT NEXT TENSOR CALIB QP... */
final class ActOrderMain {
    public static void main(String[] a) throws Exception {
        Model base = OnnxReader.read(Path.of(a[0])), next = OnnxReader.read(Path.of(a[1]));
        String name = a[2];
        double[] h = ErrorCompensation.hessians(next, Set.of(name), Datasets.load("fashion-mnist", "train").head(Integer.parseInt(a[3])), Normalization.resolve(null, next), 128).get(name);
        float[] w = next.graph().initializer(name).floats(), b = base.graph().initializer(name).floats();
        int d = (int) Math.round(Math.sqrt(h.length)), rows = w.length / d;
        float[] diff = new float[w.length];
        for (int i = 0; i < w.length; i++) diff[i] = w[i] - b[i];
        Integer[] idx = new Integer[d];
        for (int j = 0; j < d; j++) idx[j] = j;
        java.util.Arrays.sort(idx, (x, y) -> Double.compare(h[y * d + y], h[x * d + x]));
        int[][] orders = {java.util.stream.IntStream.range(0, d).toArray(), java.util.Arrays.stream(idx).mapToInt(Integer::intValue).toArray()};
        double sd = 0;
        for (float v : w) sd += (double) v * v;
        sd = Math.sqrt(sd / w.length);
        for (int k = 4; k < a.length; k++) {
            int qp = Integer.parseInt(a[k]);
            double step = sd * Math.pow(2, qp / 4.0);
            for (int o = 0; o < 2; o++) {
                int[] p = orders[o];
                double[] hp = new double[d * d];
                for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) hp[i * d + j] = h[p[i] * d + p[j]];
                double[][] u = ErrorCompensation.inverseCholeskyUpper(hp, d);
                float[] dp = new float[w.length];
                for (int r = 0; r < rows; r++) for (int j = 0; j < d; j++) dp[r * d + j] = diff[r * d + p[j]];
                float[] c = ErrorCompensation.compensate(dp, rows, d, u, step);
                int[] q = new int[w.length];
                double err = 0;
                double[] e = new double[d];
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < d; j++) {
                        double x = c[r * d + j] / step;
                        int lv = (int) (Math.signum(x) * Math.floor(Math.abs(x) + 0.5));
                        q[r * d + p[j]] = lv;
                        e[p[j]] = lv * step - diff[r * d + p[j]];
                    }
                    for (int i = 0; i < d; i++) {
                        double s = 0;
                        for (int j = 0; j < d; j++) s += h[i * d + j] * e[j];
                        err += e[i] * s;
                    }
                }
                byte[] cls = UniformQuantizer.baseClasses(b, new float[] {(float) step}, new long[] {rows, d}, -1);
                RangeEncoder enc = new RangeEncoder(w.length), enc2 = new RangeEncoder(w.length);
                RiceLevelBinarization.encode(q, 0, q.length, cls, 0, false, enc, RiceLevelBinarization.contexts());
                RiceLevelBinarization.encodeColumns(q, 0, q.length, cls, 0, false, d, enc2, RiceLevelBinarization.columnContexts());
                long nz = java.util.Arrays.stream(q).filter(v -> v != 0).count();
                // Skip-all reference: the error of not sending the tensor at all.
                System.out.printf("qp %d %s: %d B (columns %d B), nonzero %d, output error %.4g%n", qp, o == 0 ? "natural" : "act-order", enc.finish().length, enc2.finish().length, nz, err);
            }
        }
    }
}
