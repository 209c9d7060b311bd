package io.nnzip.distill;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Batch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** DAFL: the three generator losses against finite differences; the chained graph trains only the generator. */
class DataFreeTest {
    @Test
    void objectiveGradientMatchesFiniteDifferences() {
        DataFree.Chain c = new DataFree.Chain(null, "x", "z", "f");
        DataFree.Weights w = new DataFree.Weights(1f, 0.3f, 5f);
        var obj = DataFree.objective(c, w);
        int n = 4, k = 5, f = 6;
        float[] z = TestModels.gaussian(n * k, 2, 3), fe = TestModels.gaussian(n * f, 1, 4);
        Batch b = new Batch(Tensor.of(new float[n], n, 1), new int[n]);
        float[] gz = new float[z.length], gf = new float[fe.length];
        obj.lossAndGrad(b, Map.of("z", Tensor.of(z.clone(), n, k), "f", Tensor.of(fe.clone(), n, f)), Map.of("z", gz, "f", gf));
        double h = 1e-3;
        for (int i = 0; i < z.length; i++) {
            float[] p = z.clone(), m = z.clone();
            p[i] += (float) h;
            m[i] -= (float) h;
            double fd = (obj.lossAndGrad(b, Map.of("z", Tensor.of(p, n, k), "f", Tensor.of(fe.clone(), n, f)), Map.of("z", new float[z.length], "f", new float[fe.length]))
                    - obj.lossAndGrad(b, Map.of("z", Tensor.of(m, n, k), "f", Tensor.of(fe.clone(), n, f)), Map.of("z", new float[z.length], "f", new float[fe.length])))
                    / (2 * h);
            assertEquals(fd, gz[i], 2e-3 + 1e-2 * Math.abs(fd), "d loss / d z[" + i + "]");
        }
        // −w_a·mean|f|: each feature's gradient is −w_a·sign(f)/size, away from zero
        for (int i = 0; i < fe.length; i++) assertEquals(-0.3 * Math.signum(fe[i]) / fe.length, gf[i], 1e-7);
    }

    @Test
    void generatorLearnsAgainstAFrozenForeignTeacher() {
        Model teacher = OnnxReader.read(Path.of("src/test/resources/pytorch-normalized/cnn.onnx"));
        DataFree.Chain chain = DataFree.chain(teacher, 3);
        Model trained = DataFree.trainGenerator(chain, DataFree.Weights.PAPER, 1, 6, 32, 1e-2f, 3, new io.nnzip.train.TrainListener() {});
        var before = teacher.graph().initializers();
        var after = trained.graph().initializers();
        for (String name : before.keySet()) assertArrayEquals(before.get(name).floats(), after.get(name).floats(), "teacher weight " + name + " frozen");
        assertFalse(java.util.Arrays.equals(chain.model().graph().initializer("gen.fc.weight").floats(), after.get("gen.fc.weight").floats()));
        Normalization norm = Normalization.parse("0.2860,0.3530");
        Dataset d = DataFree.synthesize(new DataFree.Chain(trained, chain.image(), chain.logits(), chain.features()), 40, 20, norm, 5, 1);
        assertEquals(40, d.size());
        assertEquals(28, d.height());
        // the generator's last BatchNorm standardizes: the normalized images have mean ≈ 0 and std ≈ 1
        double s = 0, ss = 0;
        for (float v : d.pixels()) {
            double x = (v - 0.2860) / 0.3530;
            s += x;
            ss += x * x;
        }
        int m = d.pixels().length;
        assertEquals(0, s / m, 1e-2);
        assertEquals(1, Math.sqrt(ss / m - (s / m) * (s / m)), 2e-2);
    }
}
