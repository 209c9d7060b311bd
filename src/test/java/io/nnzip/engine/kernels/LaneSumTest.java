package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * A lane sum is one fixed order of float adds, interpreted and compiled alike: each result is checked bit for bit
 * against that order written out on plain arrays, on every call from the first (interpreted) to the last (C2), and
 * against a double-precision sum for size.
 */
class LaneSumTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** The butterfly by hand: a[i] + a[i ^ h] for h = L/2 … 1, then lane 0 (every lane holds the same sum). */
    private static float byHand(float[] v) {
        float[] a = v.clone();
        for (int h = L / 2; h >= 1; h /= 2) {
            float[] b = new float[L];
            for (int i = 0; i < L; i++) b[i] = a[i] + a[i ^ h];
            a = b;
        }
        return a[0];
    }

    private static float[][] vectors(int count, long seed) {
        Random r = new Random(seed);
        float[][] vs = new float[count][L];
        // magnitudes 1 … 1e5 apart, so the order of the adds shows in the last bits
        for (float[] v : vs) for (int i = 0; i < L; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(6)));
        return vs;
    }

    private static void same(float want, float got, String where) {
        if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) fail(where + ": want " + want + ", got " + got);
    }

    @Test
    void oneVectorSameBitsBeforeAndAfterTheJitCompilesIt() {
        float[][] vs = vectors(64, 3);
        float[] want = new float[vs.length];
        for (int k = 0; k < vs.length; k++) {
            want[k] = byHand(vs[k]);
            double exact = 0, mag = 0;
            for (float x : vs[k]) { exact += x; mag += Math.abs(x); }
            assertEquals(exact, want[k], 1e-6 * mag, "vector " + k);
        }
        // enough calls for C2 to compile LaneSum.of and this loop (reduceLanes(ADD) differed here in 60 % of the calls)
        for (int it = 0; it < 20_000; it++)
            for (int k = 0; k < vs.length; k++) same(want[k], LaneSum.of(FloatVector.fromArray(S, vs[k], 0)), "call " + it + ", vector " + k);
    }

    @Test
    void twoAndFourSumsInOneTreeEqualTheOneVectorOrder() {
        float[][] vs = vectors(64, 5);
        for (int it = 0; it < 10_000; it++)
            for (int k = 0; k + 4 <= vs.length; k += 4) {
                FloatVector a = FloatVector.fromArray(S, vs[k], 0), b = FloatVector.fromArray(S, vs[k + 1], 0);
                FloatVector c = FloatVector.fromArray(S, vs[k + 2], 0), d = FloatVector.fromArray(S, vs[k + 3], 0);
                FloatVector two = LaneSum.two(a, b), four = LaneSum.four(a, b, c, d);
                same(byHand(vs[k]), LaneSum.first(two), "two, first");
                same(byHand(vs[k + 1]), LaneSum.second(two), "two, second");
                for (int j = 0; j < 4; j++) same(byHand(vs[k + j]), four.lane(LaneSum.lane4(j)), "four, " + j);
            }
    }

    @Test
    void storedVectorsSummedInPlaceLandWhereStoredSays() {
        for (int count : new int[] {L, 16 >= L ? 16 : L, 2 * L}) {
            float[][] vs = vectors(count, 7 + count);
            float[] acc = new float[count * L];
            for (int it = 0; it < 5_000; it++) {
                for (int k = 0; k < count; k++) System.arraycopy(vs[k], 0, acc, k * L, L);
                LaneSum.ofStored(acc, count);
                for (int k = 0; k < count; k++) same(byHand(vs[k]), acc[LaneSum.stored(k, count)], count + " vectors, " + k);
            }
        }
    }
}
