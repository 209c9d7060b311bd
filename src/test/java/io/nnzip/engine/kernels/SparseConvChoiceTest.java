package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which pruned convs the engine runs sparse: the layers of torchvision resnet18 and mobilenet_v2 with a 1×28×28 stem
 * (90 % zeros each) where the sparse kernels measured slower than the dense path (planes of 2×2 and 1×1, 1×1 convs at
 * 4×4) stay dense, those where they measured faster (3×3 at 7×7 and 4×4, 1×1 at 7×7) run sparse. When declined, the
 * dense path's output is checked against plain loops.
 */
class SparseConvChoiceTest {
    @ParameterizedTest
    @CsvSource({
            // c, k, h, w, r, stride, pad, sparse?
            "64, 64, 7, 7, 3, 1, 1, true",        // resnet18_28 layer1 (1.2-1.7x sparse)
            "128, 128, 4, 4, 3, 1, 1, true",      // layer2 (1.0-1.4x)
            "64, 128, 7, 7, 3, 2, 1, true",       // layer2.0.conv1, stride 2 to 4x4
            "256, 256, 2, 2, 3, 1, 1, false",     // layer3 (0.3-0.6x)
            "512, 512, 1, 1, 3, 1, 1, false",     // layer4 (0.23-0.68x)
            "64, 128, 7, 7, 1, 2, 0, false",      // layer2 downsample, 1x1 stride 2 to 4x4 (0.69-0.86x)
            "32, 192, 4, 4, 1, 1, 0, false",      // mobilenet_v2_28 features.5 expand (0.46-0.53x)
            "160, 960, 7, 7, 1, 1, 0, true"})     // mobilenet_v2_224 features.15 expand (1.5-1.6x)
    void smallPlanesStayDense(int c, int k, int h, int w, int r, int stride, int pad, boolean sparse) {
        ConvGeometry g = new ConvGeometry(3, c, h, w, k, 1, r, r, stride, stride, pad, pad, pad, pad, 1, 1);
        SplittableRandom rnd = new SplittableRandom(c + 31L * k + h);
        float[] x = new float[g.n() * c * h * w], wt = new float[k * c * r * r], bias = new float[k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < wt.length; i++) wt[i] = rnd.nextInt(10) == 0 ? (float) rnd.nextGaussian() : 0f;
        for (int i = 0; i < k; i++) bias[i] = (float) rnd.nextGaussian();
        float[] y = new float[g.n() * k * g.p() * g.q()];
        try (Parallel par = new Parallel(2)) {
            assertEquals(sparse, SparseConv.forward(g, x, wt, bias, y, false, null, par), g.toString());
            if (!sparse) Conv2dTest.check(g, x, wt, bias, 0, par, Conv2d.Lowering.AUTO);
        }
    }
}
