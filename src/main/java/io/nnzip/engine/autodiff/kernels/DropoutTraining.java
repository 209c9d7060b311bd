package io.nnzip.engine.autodiff.kernels;

import java.util.SplittableRandom;

/**
 * Inverted dropout while training: each element is kept with probability 1 − ratio and scaled by 1/(1 − ratio),
 * so inference is the identity. The per-element scale (0 or 1/(1 − ratio)) is what the backward pass multiplies by.
 * <pre>x: any shape -> y, scale: same shape</pre>
 */
public final class DropoutTraining {
    private DropoutTraining() {}

    public static float[] mask(int size, float ratio, SplittableRandom rng) {
        float[] m = new float[size];
        if (ratio <= 0f) {
            java.util.Arrays.fill(m, 1f);
            return m;
        }
        float keep = 1f / (1f - ratio);
        for (int i = 0; i < size; i++) m[i] = rng.nextDouble() >= ratio ? keep : 0f;
        return m;
    }
}
