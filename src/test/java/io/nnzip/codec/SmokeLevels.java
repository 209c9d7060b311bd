package io.nnzip.codec;

import io.nnzip.codec.binarize.LevelBinarization;
import io.nnzip.codec.cabac.RangeDecoder;
import io.nnzip.codec.cabac.RangeEncoder;
import java.util.Random;

final class SmokeLevels {
    public static void main(String[] a) {
        float[] w = SyntheticModels.laplace(new Random(1), 4_000_000, 1);
        for (int qp : new int[] {-16, -8, -4, 0}) {
            float[] st = UniformQuantizer.steps(w, null, new long[] {w.length}, -1, qp);
            int[] q = new int[w.length];
            for (int rep = 0; rep < 5; rep++) {
                long t0 = System.nanoTime();
                UniformQuantizer.quantize(w, null, st, new long[] {w.length}, -1, 0.4, q);
                long t1 = System.nanoTime();
                LevelBinarization.Params p = io.nnzip.codec.rd.BinarizationChooser.choose(q, null);
                long t2 = System.nanoTime();
                RangeEncoder e = new RangeEncoder(1 << 20);
                LevelBinarization.encode(q, 0, q.length, null, p, e, LevelBinarization.contexts());
                byte[] c = e.finish();
                long t3 = System.nanoTime();
                int[] d = new int[q.length];
                LevelBinarization.decode(d, 0, q.length, null, p, new RangeDecoder(c, "x"), LevelBinarization.contexts());
                long t4 = System.nanoTime();
                if (rep == 4) System.out.printf("qp %d bits/w %.2f quant %.0f MB/s choose %.1f ms enc %.0f MB/s dec %.0f MB/s ok=%s%n", qp, c.length * 8.0 / q.length,
                        w.length * 4 / 1e3 / ((t1 - t0) / 1e6), (t2 - t1) / 1e6, w.length * 4 / 1e3 / ((t3 - t2) / 1e6), w.length * 4 / 1e3 / ((t4 - t3) / 1e6), java.util.Arrays.equals(q, d));
            }
        }
    }
}
