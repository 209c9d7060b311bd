package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.quant.calib.Calibrator;
import io.nnzip.quant.calib.TensorStats;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Calibrators against ranges computed by hand on constructed distributions. */
class CalibratorTest {
    static TensorStats stats(float[] x) {
        TensorStats s = new TensorStats();
        s.observeRange(x);
        s.observeHistogram(x);
        return s;
    }

    @Test
    void minMaxIsTheObservedRange() {
        float[] r = Calibrator.parse("minmax").range(stats(new float[] {-0.75f, 0.1f, 3.5f, 2f}));
        assertEquals(-0.75f, r[0]);
        assertEquals(3.5f, r[1]);
    }

    @Test
    void percentileOfOneToThousand() {
        // values 1..1000: |x| at the 99th percentile is 990; the histogram has 2048 bins of 1000/2048, so the
        // returned edge lies within one bin above 990
        float[] x = new float[1000];
        for (int i = 0; i < x.length; i++) x[i] = i + 1;
        float[] r = Calibrator.parse("percentile:99").range(stats(x));
        assertEquals(1f, r[0]);
        assertTrue(r[1] >= 990 && r[1] <= 990 + 1000.0 / 2048 + 1e-3, "got " + r[1]);
    }

    @Test
    void percentileClipsBothSidesSymmetrically() {
        float[] x = new float[2000];
        for (int i = 0; i < 1000; i++) {
            x[i] = i + 1;
            x[1000 + i] = -(i + 1);
        }
        float[] r = Calibrator.parse("percentile:99.9").range(stats(x));
        assertEquals(-r[1], r[0], 1e-3f);
        assertTrue(r[1] < 1000 && r[1] >= 998, "got " + r[1]);
    }

    @Test
    void mseMatchesTheAnalyticOptimumForLaplace() {
        // Banner et al. (ACIQ, 2019): for Laplace(0, b) and 8 bits the MSE-optimal clipping value is ≈ 9.89·b
        SplittableRandom rnd = new SplittableRandom(11);
        float[] x = new float[400_000];
        for (int i = 0; i < x.length; i++) {
            double u = rnd.nextDouble() - 0.5;
            x[i] = (float) (-Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
        }
        TensorStats s = stats(x);
        float[] r = Calibrator.parse("mse").range(s);
        assertTrue(r[1] > 9.0 && r[1] < 10.8, "threshold " + r[1] + " (max " + s.max + ")");
        assertEquals(-r[1], r[0], 1e-6f);
    }

    @Test
    void entropyClipsARareOutlier() {
        // 100k samples of |N(0,1)| plus one value at 100: the max is useless, the KL search must cut far below it
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = new float[100_001];
        for (int i = 0; i < x.length - 1; i++) x[i] = (float) Math.abs(gauss(rnd));
        x[x.length - 1] = 100f;
        for (String c : new String[] {"entropy"}) {
            float[] r = Calibrator.parse(c).range(stats(x));
            assertEquals(stats(x).min, r[0], 0f, c + ": the low end of a non-negative tensor is its minimum");
            assertTrue(r[1] > 2.5 && r[1] < 20, c + " threshold " + r[1]);
        }
    }

    @Test
    void mseKeepsTheFullRangeOfAUniformTensor() {
        // for uniform data nothing is an outlier: clipping only adds error, so t stays near the max
        float[] x = new float[50_000];
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(0, 1);
        float[] r = Calibrator.parse("mse").range(stats(x));
        assertTrue(r[1] > 0.97, "got " + r[1]);
    }

    static double gauss(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(Math.max(r.nextDouble(), 1e-300))) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
