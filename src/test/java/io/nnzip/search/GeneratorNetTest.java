package io.nnzip.search;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.report.LayerCosts;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The generator: its upsampling path lets the channel-dependency pruner shrink every hidden convolution (the Expand
 * rule), a pruned generator still runs in ONNX Runtime with the engine's images, its MACs match a hand count, and the
 * Gaussian folded into the first Gemm gives the decoder's image for μ + L·z.
 */
class GeneratorNetTest {
    /** Hand count per image: Gemm 16·1568; conv 3×3 layers cout·cin·9·H·W. */
    static long macs(int c1, int c2, int c3) {
        return 16L * 1568 + (long) c1 * 32 * 9 * 49 + (long) c2 * c1 * 9 * 196 + (long) c3 * c2 * 9 * 784 + (long) c3 * 9 * 784;
    }

    @Test
    void prunedGeneratorsRunInOrtAndCostWhatTheHandCountSays() {
        Model g = GeneratorNet.generator(3);
        assertEquals(macs(32, 32, 16), LayerCosts.totalMacs(g, 1));
        Encoding enc = new Encoding(g, "ratios", 0.1, 1);
        assertEquals(3, enc.groups.size(), "conv1 (through an upsampling), conv2 (through one), conv3: " + enc.describe(enc.full()));
        Model p = enc.prune(new double[] {0.5, 0.25, 0.5}).model();
        assertEquals(macs(16, 8, 8), LayerCosts.totalMacs(p, 1));
        float[] z = GeneratorNet.noise(5, 1).pixels();
        for (Model m : new Model[] {g, p}) {
            float[] mine = GeneratorNet.generate(m, z, 1);
            try (OrtRunner ort = new OrtRunner(m, 1)) {
                Tensor out = ort.run(Map.of(GeneratorNet.NOISE, Tensor.of(z, 5, GeneratorNet.NZ))).get(GeneratorNet.IMAGE);
                assertArrayEquals(new int[] {5, 1, 28, 28}, out.shape());
                assertArrayEquals(out.floats(), mine, 1e-5f);
            }
        }
    }

    @Test
    void theFoldedGaussianIsTheDecoderAtMuPlusLz() {
        Model ae = GeneratorNet.autoencoder(4);
        SplittableRandom r = new SplittableRandom(9);
        double[][] codes = new double[50][GeneratorNet.NZ];
        for (double[] c : codes) for (int j = 0; j < c.length; j++) c[j] = 3 * Encoding.gaussian(r) + j * 0.1 + (j > 0 ? 0.8 * c[j - 1] : 0);
        Model folded = GeneratorNet.fold(ae, codes, 4);
        // the plain decoder: the autoencoder's decoder weights in a generator without the fold
        Model plain = GeneratorNet.generator(4);
        plain.graph().initializers().keySet().forEach(k -> plain.graph().initializers().put(k, ae.graph().initializer(k)));
        int d = GeneratorNet.NZ;
        double[] mu = new double[d];
        for (double[] c : codes) for (int j = 0; j < d; j++) mu[j] += c[j] / codes.length;
        double[][] cov = new double[d][d];
        for (double[] c : codes) for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) cov[i][j] += (c[i] - mu[i]) * (c[j] - mu[j]) / (codes.length - 1);
        double[][] l = GeneratorNet.cholesky(cov);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) s += l[i][k] * l[j][k];
                assertEquals(cov[i][j], s, 1e-9 * (1 + Math.abs(cov[i][j])), "L·Lᵀ = Σ");
            }
        float[] z = GeneratorNet.noise(3, 2).pixels(), code = new float[z.length];
        for (int n = 0; n < 3; n++)
            for (int i = 0; i < d; i++) {
                double s = mu[i];
                for (int k = 0; k <= i; k++) s += l[i][k] * z[n * d + k];
                code[n * d + i] = (float) s;
            }
        assertArrayEquals(GeneratorNet.generate(plain, code, 1), GeneratorNet.generate(folded, z, 1), 1e-4f);
    }
}
