package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.ops.support.Special;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** GeluRange, FastErf written out in one loop: the same bits as the FastErf-based rows, and close to exact GELU. */
class GeluRangeTest {
    @Test
    void sameBitsAsFastErfRowsAndNearExact() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 16 * 40 + 7; // whole vectors and a masked tail
        float[] x = new float[n], res = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((r.nextDouble() * 2 - 1) * (i % 3 == 0 ? 12 : 3));
            res[i] = (float) r.nextDouble();
        }
        x[1] = 0f;
        x[2] = -0f;
        x[4] = 0.6f;
        x[5] = -0.6f;
        x[7] = 1e30f;
        x[8] = -1e30f;
        for (float[] residual : new float[][] {null, res}) {
            float[] want = x.clone(), got = x.clone();
            BiasGelu.rows(want, 0, 1, n, null, true, residual);
            GeluRange.apply(got, 0, n, residual);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), "x=" + x[i] + " at " + i);
                double exact = 0.5 * x[i] * (1 + Special.erf(x[i] / Math.sqrt(2))) + (residual == null ? 0 : residual[i]);
                if (Math.abs(x[i]) < 1e4) assertEquals(exact, got[i], 2e-6 * (1 + Math.abs(exact)), "x=" + x[i]);
            }
        }
    }
}
