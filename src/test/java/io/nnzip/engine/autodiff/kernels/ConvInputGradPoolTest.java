package io.nnzip.engine.autodiff.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.ConvGeometry;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The input gradient writes each layer's flipped weights into an array of the training pool, which the next pass
 * hands to another layer of the same size: a kernel that caches a form of its weight array (the channel-lane conv's
 * packing) must not serve the first layer's weights to the second when no optimizer step came between (gradients taken
 * twice, as a gradient-based pruning criterion does). Each dx is compared with a fresh pool's.
 */
class ConvInputGradPoolTest {
    @Test
    void reusedPoolArrayIsNotServedStale() {
        // 32 → 32 channels, 3×3 pad 1 on 8×8: the backward conv takes the channel-lane path where it applies
        ConvGeometry g = new ConvGeometry(2, 32, 8, 8, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
        SplittableRandom r = new SplittableRandom(3);
        float[] wa = new float[32 * 32 * 9], wb = new float[wa.length], dy = new float[2 * 32 * 64];
        for (int i = 0; i < wa.length; i++) {
            wa[i] = (float) r.nextGaussian();
            wb[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < dy.length; i++) dy[i] = (float) r.nextGaussian();
        ArrayPool shared = new ArrayPool();
        try (Parallel par = new Parallel(1)) {
            for (float[] w : new float[][] {wa, wb, wa}) {
                float[] got = new float[2 * 32 * 64], want = new float[got.length];
                shared.recycleAll();
                ConvInputGrad.run(g, w, dy, got, par, shared);
                ConvInputGrad.run(g, w, dy, want, par, new ArrayPool());
                assertArrayEquals(want, got, 1e-5f);
            }
        }
    }
}
