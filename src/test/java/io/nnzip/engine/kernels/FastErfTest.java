package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.ops.support.Special;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The vector erf against the double-precision series/continued-fraction erf, relative error within a few ulps. */
class FastErfTest {
    @Test void matchesDoublePrecisionErfOverTheWholeRange() {
        var s = FloatVector.SPECIES_PREFERRED;
        int n = 24001;
        float[] x = new float[n + s.length()], y = new float[x.length];
        for (int i = 0; i < n; i++) x[i] = -12f + i * 0.001f;
        x[0] = 1e-20f;
        x[1] = -3e-8f;
        x[2] = Float.POSITIVE_INFINITY;
        for (int i = 0; i + s.length() <= x.length; i += s.length()) FastErf.erf(FloatVector.fromArray(s, x, i)).intoArray(y, i);
        for (int i = 0; i < n; i++) {
            double want = Special.erf(x[i]);
            assertEquals(want, y[i], 5e-7 * Math.abs(want), "erf(" + x[i] + ")");
        }
    }
}
