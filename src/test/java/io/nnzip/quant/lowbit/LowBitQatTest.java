package io.nnzip.quant.lowbit;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.DataSplits;
import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Executor;
import io.nnzip.engine.ops.OneHotOps;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.quant.FashionCnnFixture;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.Scheme;
import io.nnzip.quant.WeightSchemes;
import io.nnzip.quant.calib.LabeledData;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Soft-threshold ternary and one-hot after a short QAT: the weights are on their grids ({−α, 0, α}; 0 or ±α·2^−e),
 * the written files hold those codes, and ONNX Runtime on the file computes what nnzip's engine computes on the
 * trained graph (for one-hot: with the training op, which the export replaces by standard ops).
 */
class LowBitQatTest {
    private static QuantConfig cfg(String scheme) {
        QuantConfig c = new QuantConfig();
        c.scheme = scheme;
        c.qat = 1;
        c.trainLimit = 256;
        c.lr = 1e-3f;
        c.threads = 1;
        return c;
    }

    private static DataSplits data() {
        Dataset train = Datasets.load("fashion-mnist", "train");
        return DataSplits.of(train, null);
    }

    private static Tensor images(Model m, int n) {
        return LabeledData.of(Datasets.load("fashion-mnist", "test"), Normalization.resolve(null, m), m, n).inputs();
    }

    @Test
    void sttWeightsAreTernaryPerChannelAndOrtAgrees() {
        Model m = FashionCnnFixture.random(3);
        StringBuilder log = new StringBuilder();
        WeightSchemes.Applied a = SoftThresholdTernary.apply(m, cfg("stt"), data(), Normalization.resolve(null, m), l -> log.append(l).append('\n'));
        assertTrue(log.toString().contains("QAT epoch 1/1"), log.toString());
        Model file = OnnxReader.read(OnnxWriter.toBytes(a.model()), null);
        for (String w : new String[] {"conv1.weight", "conv2.weight", "conv3.weight", "fc.weight"}) {
            Tensor t = a.reference().graph().initializer(w);
            int rows = t.dim(0), per = t.size() / rows, zeros = 0;
            for (int r = 0; r < rows; r++) {
                TreeSet<Float> mags = new TreeSet<>();
                for (int i = 0; i < per; i++) mags.add(Math.abs(t.floats()[r * per + i]));
                if (mags.remove(0f)) zeros++;
                assertTrue(mags.size() <= 1, w + " row " + r + " has magnitudes " + mags);
            }
            assertTrue(zeros > 0, w + ": no zeros, not ternary");
            Tensor codes = file.graph().initializer(w + "_ternary");
            assertNotNull(codes, file.graph().initializers().keySet().toString());
            for (float c : codes.toFloats()) assertTrue(c == -1 || c == 0 || c == 1, w + " code " + c);
        }
        assertOrtMatchesEngine(file, a.reference(), images(m, 16), 1e-4f);
    }

    @Test
    void oneHotExportComputesTheTrainingOpExactly() {
        // x → OneHotQuant(s = 1.7, 4 bits) in nnzip's engine vs the exported Greater/Where staircase in ONNX Runtime
        for (int bits : new int[] {2, 4}) {
            GraphBuilder b = new GraphBuilder("onehot");
            String x = b.input("x", DType.FLOAT, -1, 64);
            String s = b.init("s", Tensor.scalar(1.7f));
            String y = b.op(OneHotOps.OP, new String[] {x, s}, Attribute.of(OneHotOps.BITS, (long) bits));
            b.output(b.rename(y, "y"), DType.FLOAT, -1, 64);
            Model m = b.build(17);
            SplittableRandom r = new SplittableRandom(bits);
            float[] v = new float[8 * 64];
            float[] t = OneHotOps.thresholds(1.7f, bits), l = OneHotOps.levels(1.7f, bits);
            for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() * 2.2);
            // the thresholds themselves and their neighbours
            for (int k = 0; k < bits; k++) {
                v[3 * k] = t[k];
                v[3 * k + 1] = Math.nextUp(t[k]);
                v[3 * k + 2] = Math.nextDown(t[k]);
            }
            Map<String, Tensor> feeds = Map.of("x", Tensor.of(v, 8, 64));
            float[] ours = new Executor(m).run(feeds).get("y").floats();
            // by hand: the nearest level (ties at a threshold go down)
            for (int i = 0; i < v.length; i++) {
                int k = 0;
                while (k < bits && v[i] > t[k]) k++;
                assertEquals(l[k], ours[i], 0f, "x = " + v[i]);
            }
            Model exported = m.copy();
            OneHotNet.exportActivations(exported.graph());
            assertTrue(exported.graph().nodes().stream().noneMatch(n -> n.opType().equals(OneHotOps.OP)));
            Model file = OnnxReader.read(OnnxWriter.toBytes(exported), null);
            float[] ort;
            try (OrtRunner o = new OrtRunner(file, 1)) {
                ort = o.run(feeds).get("y").floats();
            }
            assertArrayEquals(ours, ort, 0f, "bits " + bits);
        }
    }

    @Test
    void oneHotQatWeightsAreSingleBitCodesAndOrtAgrees() {
        Model m = FashionCnnFixture.random(3);
        LabeledData calib = LabeledData.of(Datasets.load("fashion-mnist", "train"), Normalization.resolve(null, m), m, 64);
        StringBuilder log = new StringBuilder();
        WeightSchemes.Applied a = OneHotNet.apply(m, Scheme.parse("onehot:4"), cfg("onehot:4"), calib, data(), Normalization.resolve(null, m),
                l -> log.append(l).append('\n'));
        assertTrue(log.toString().contains("QAT epoch 1/1"), log.toString());
        Model file = OnnxReader.read(OnnxWriter.toBytes(a.model()), null);
        for (String w : new String[] {"conv1.weight", "conv2.weight", "conv3.weight", "fc.weight"}) {
            Tensor codes = file.graph().initializer(w + "_onehot");
            assertNotNull(codes, file.graph().initializers().keySet().toString());
            for (float c : codes.toFloats()) {
                int q = Math.abs((int) c);
                assertTrue(q == 0 || Integer.bitCount(q) == 1 && q <= 8, w + " code " + c);
            }
        }
        // three activation sites (the image stays float); the trained graph keeps OneHotQuant, the file has none
        long sites = a.reference().graph().nodes().stream().filter(n -> n.opType().equals(OneHotOps.OP)).count();
        assertEquals(3, sites);
        assertTrue(file.graph().nodes().stream().map(Node::opType).noneMatch(OneHotOps.OP::equals));
        // the activation scales are trained parameters (the LSQ-style gradient reaches them)
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Float>> scales = (Map<String, Map<String, Float>>) a.notes().get("activation_scales");
        assertEquals(3, scales.size());
        assertTrue(scales.values().stream().anyMatch(v -> !v.get("initial").equals(v.get("trained"))), scales.toString());
        assertOrtMatchesEngine(file, a.reference(), images(m, 16), 1e-3f);
    }

    /** ORT on the written file vs nnzip's engine on the trained float graph (its weights are the decoded codes). */
    static void assertOrtMatchesEngine(Model file, Model reference, Tensor x, float tol) {
        float[] ort;
        try (OrtRunner o = new OrtRunner(file, 1)) {
            ort = o.run(Map.of(file.graph().runtimeInputs().getFirst().name(), x)).values().iterator().next().floats();
        }
        float[] ours = new Executor(reference).run(Map.of(reference.graph().runtimeInputs().getFirst().name(), x)).values().iterator().next().floats();
        float scale = 0;
        for (float v : ort) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < ort.length; i++) assertEquals(ort[i], ours[i], tol * (1 + scale), "logit " + i);
    }
}
