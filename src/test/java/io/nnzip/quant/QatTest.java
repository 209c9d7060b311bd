package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.qat.QatStage;
import io.nnzip.quant.weight.SignScaleQuantizer;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** QAT on the Trainer: after training, every quantized weight is exactly on its scheme's grid. */
class QatTest {
    @Test
    void ternaryQatLeavesTernaryWeights() {
        Model m = FashionCnnFixture.random(3);
        QuantConfig cfg = new QuantConfig();
        cfg.qat = 1;
        cfg.trainLimit = 256;
        cfg.lr = 1e-3f;
        cfg.threads = 1;
        StringBuilder log = new StringBuilder();
        Consumer<String> sink = l -> log.append(l).append('\n');
        QatStage.run(m, Scheme.parse("ternary"), cfg, new SignScaleQuantizer(true, false)::encode, io.nnzip.data.Datasets.load("fashion-mnist", "train"), io.nnzip.data.Normalization.resolve(null, m), sink);
        assertTrue(log.toString().contains("QAT epoch 1/1"), log.toString());
        for (String w : new String[] {"conv2.weight", "conv3.weight", "fc.weight"}) {
            Tensor t = m.graph().initializer(w);
            int rows = t.dim(0), per = t.size() / rows;
            for (int r = 0; r < rows; r++) {
                TreeSet<Float> mags = new TreeSet<>();
                for (int i = 0; i < per; i++) mags.add(Math.abs(t.floats()[r * per + i]));
                mags.remove(0f);
                assertTrue(mags.size() <= 1, w + " row " + r + " has magnitudes " + mags);
            }
        }
    }
}
