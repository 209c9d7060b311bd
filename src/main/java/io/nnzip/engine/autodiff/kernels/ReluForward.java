package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** ReLU into a caller-owned array (the training tape's recycled buffers), vectorized and split over the team. */
public final class ReluForward {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private ReluForward() {}

    // x: any -> y: same length
    public static void run(float[] x, float[] y, Parallel par) {
        par.forRange(x.length, 1 << 16, (lo, hi) -> {
            int i = lo;
            for (int end = lo + S.loopBound(hi - lo); i < end; i += S.length()) FloatVector.fromArray(S, x, i).max(0f).intoArray(y, i);
            for (; i < hi; i++) y[i] = x[i] > 0f ? x[i] : 0f;
        });
    }
}
