package io.nnzip.codec.rd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.TensorCodec;
import io.nnzip.codec.TensorUnit;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The rate penalty's gradient against finite differences, and its estimate against the real encoder's bytes. */
class RatePenaltyTest {
    private static float[] laplace(int n, long seed, double scale, double zeroShare) {
        Random r = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            if (r.nextDouble() < zeroShare) continue;
            double u = r.nextDouble() - 0.5;
            w[i] = (float) (-scale * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
        }
        return w;
    }

    @Test
    void gradientMatchesDoublePrecisionFiniteDifferences() {
        for (int qp : new int[] {-12, -4}) {
            float[] fw = laplace(2000, 3, 0.05, 0.5);
            RatePenalty.Curve c = RatePenalty.Curve.fit(fw, qp);
            // evaluate at weights off the fitted ones (and off exact zeros, where |w| has a kink)
            Random r = new Random(7);
            double[] w = new double[fw.length];
            for (int i = 0; i < w.length; i++) w[i] = fw[i] + 0.01 * r.nextGaussian();
            double[] g = new double[w.length];
            double f0 = c.bitsAndGrad(w, g);
            assertEquals(c.bits(w), f0, 1e-9 * Math.abs(f0));
            double h = 1e-7;
            int checked = 0;
            for (int j = 0; j < w.length; j += 37) {
                double keep = w[j];
                w[j] = keep + h;
                double up = c.bits(w);
                w[j] = keep - h;
                double down = c.bits(w);
                w[j] = keep;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, g[j], 1e-4 * Math.max(1, Math.abs(fd)), "qp " + qp + " weight " + j);
                checked++;
            }
            assertTrue(checked > 50);
        }
    }

    /**
     * The estimate against the bytes the encoder writes (its RD dead zone, its binarization choice, the range coder's
     * output) on synthetic, sparse and PyTorch-trained tensors. The fit prices the current levels exactly (up to the
     * zigzag scheme's class restart); what is left is the interpolation (a weight between two level centres is priced
     * between their costs, while the coder charges the level it rounds to) and the coder's flush bytes.
     */
    @Test
    void estimateTracksTheEncodersBytes() {
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {"laplace dense", laplace(300 * 784, 1, 0.05, 0), new int[] {300, 784}});
        cases.add(new Object[] {"laplace 90% zeros", laplace(300 * 784, 2, 0.05, 0.9), new int[] {300, 784}});
        Model m = io.nnzip.onnx.OnnxReader.read(Path.of("src/test/resources/pytorch-normalized/mlp.onnx"));
        for (var e : m.graph().initializers().entrySet()) {
            Tensor t = e.getValue();
            if (!RatePenalty.priced(t)) continue;
            cases.add(new Object[] {"pytorch " + e.getKey(), t.floats(), t.shape()});
            float[] pruned = prune(t.floats(), 0.9);
            cases.add(new Object[] {"pytorch " + e.getKey() + " pruned 90%", pruned, t.shape()});
        }
        double worst = 0;
        int compared = 0;
        StringBuilder log = new StringBuilder();
        for (int qp : new int[] {-12, -4}) {
            for (Object[] cse : cases) {
                float[] w = (float[]) cse[1];
                int[] shape = (int[]) cse[2];
                TensorUnit u = TensorCodec.encode(0, "w", new Tensor(DType.FLOAT, shape, w), new TensorCodec.Policy(true, qp, -1, Double.NaN), null);
                // a tensor of few distinct values is coded as its codebook, which the estimate does not model
                if (u.method != TensorUnit.UNIFORM) {
                    log.append(String.format("qp %d %s: codebook-coded, skipped%n", qp, cse[0]));
                    continue;
                }
                compared++;
                double actual = 8.0 * u.codedBytes();
                double[] d = new double[w.length];
                for (int i = 0; i < w.length; i++) d[i] = w[i];
                double est = RatePenalty.Curve.fit(w, qp).bits(d);
                double rel = est / actual - 1;
                worst = Math.max(worst, Math.abs(rel));
                log.append(String.format("qp %d %s: estimated %.0f bits, coded %.0f bits (%+.2f%%)%n", qp, cse[0], est, actual, 100 * rel));
            }
        }
        System.out.print(log);
        assertTrue(compared >= 10, log.toString());
        assertTrue(worst < 0.03, log.toString());
    }

    private static float[] prune(float[] w, double share) {
        float[] a = new float[w.length];
        for (int i = 0; i < w.length; i++) a[i] = Math.abs(w[i]);
        Arrays.sort(a);
        float cut = a[(int) (share * (a.length - 1))];
        float[] out = w.clone();
        for (int i = 0; i < out.length; i++) if (Math.abs(out[i]) <= cut) out[i] = 0;
        return out;
    }
}
