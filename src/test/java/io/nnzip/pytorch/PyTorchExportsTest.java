package io.nnzip.pytorch;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.engine.Canonical;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.FactorizeConfig;
import io.nnzip.lowrank.FactorizePass;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.Masking;
import io.nnzip.prune.PruneConfig;
import io.nnzip.prune.Pruner;
import io.nnzip.prune.StructuredPruner;
import io.nnzip.prune.criteria.WeightNormCriterion;
import io.nnzip.prune.report.LayerCosts;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.StaticInt8Quantizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every pass family over models exactly as PyTorch's {@code torch.onnx.export} wrote them (opsets 13 and 17,
 * dynamic batch; made by src/test/resources/pytorch/make_fixtures.py). Each result must load and run in ONNX
 * Runtime with the original output shape; lossless steps (canonicalization, lossless encoding) must reproduce
 * PyTorch's own outputs, saved by the script; structured pruning must equal the original with the removed slices
 * zeroed; lossy steps must stay close to PyTorch's outputs.
 */
class PyTorchExportsTest {
    static final Path DIR = Path.of("src/test/resources/pytorch");
    static final Map<String, Tensor> REF = Npy.readNpz(DIR.resolve("reference.npz"));

    static Model load(String file) { return OnnxReader.read(DIR.resolve(file)); }

    static String family(String file) { return file.substring(0, file.indexOf('_')); }

    static Tensor ort(Model m, Tensor x) {
        try (OrtRunner o = new OrtRunner(OnnxWriter.toBytes(m), 1)) {
            return o.run(Map.of("input", x)).get("logits");
        }
    }

    /** Largest |a - b| relative to the largest |b|. */
    static double relErr(Tensor a, Tensor b) {
        assertArrayEquals(b.shape(), a.shape(), "output shape");
        float[] x = a.floats(), y = b.floats();
        double d = 0, s = 0;
        for (int i = 0; i < x.length; i++) {
            assertTrue(Float.isFinite(x[i]), "finite output");
            d = Math.max(d, Math.abs(x[i] - y[i]));
            s = Math.max(s, Math.abs(y[i]));
        }
        return d / s;
    }

    static Tensor x() { return REF.get("x"); }

    /** ORT's output of {@code m} on the reference batch is within {@code tol} (relative) of PyTorch's. */
    static void assertCloseToPyTorch(Model m, String file, double tol, String what) {
        double e = relErr(ort(m, x()), REF.get(family(file)));
        assertTrue(e < tol, file + ": " + what + " output error " + e);
    }

    static Tensor expected(String file) { return REF.get(family(file)); }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_op13.onnx", "cnn_op17.onnx", "mlp_op13.onnx", "mlp_op17.onnx"})
    void canonicalFormComputesWhatPyTorchComputes(String file) {
        Model m = load(file);
        assertTrue(relErr(ort(m, x()), expected(file)) < 1e-5, "the fixture as exported");
        var rewrites = Canonical.apply(m);
        assertFalse(rewrites.isEmpty(), "an export has something to canonicalize");
        for (Node n : m.graph().nodes()) {
            assertNotEquals("Identity", n.opType(), file);
            assertNotEquals("Constant", n.opType(), file);
            assertNotEquals("Slice", n.opType(), file + ": chunk() becomes a Split");
        }
        assertEquals("input", m.graph().inputs().getFirst().name());
        assertEquals("logits", m.graph().outputs().getFirst().name());
        assertTrue(relErr(ort(m, x()), expected(file)) < 1e-5, file + " after " + rewrites);
        // the batch stays dynamic: a different batch size still runs
        Tensor three = Tensor.of(java.util.Arrays.copyOf(x().floats(), 3 * 784), 3, 1, 28, 28);
        assertArrayEquals(new int[] {3, 10}, ort(m, three).shape());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_op13.onnx", "cnn_op17.onnx", "mlp_op13.onnx", "mlp_op17.onnx"})
    void structuredPruningRemovesChannelsAndMatchesTheMaskedOriginal(String file) {
        Model m = load(file);
        StructuredPruner.Result r = StructuredPruner.prune(m, new WeightNormCriterion(1), 0.5, "layer", null);
        Model p = OnnxReader.read(OnnxWriter.toBytes(r.model()), null);
        long before = LayerCosts.totalMacs(m, 1), after = LayerCosts.totalMacs(p, 1);
        assertTrue(after <= 0.6 * before, file + ": MACs " + before + " -> " + after + "; " + r.plan().notes);
        assertTrue(relErr(ort(p, x()), ort(Masking.mask(m, r.plan()), x())) < 1e-4, file);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_op13.onnx", "mlp_op17.onnx"})
    void unstructuredPruningKeepsTheGraphAndSparsifiesEveryLayer(String file) {
        Model m = load(file);
        PruneConfig c = new PruneConfig("unstructured", "magnitude", "layer", 0.5, null, null, 0, 1, null, 0.5, 1, 1);
        Pruner.Outcome o = Pruner.run(m, c, null, null, null, null, s -> {});
        long zeros = 0, total = 0;
        for (Tensor t : o.model().graph().initializers().values())
            if (t.dtype() == io.nnzip.ir.DType.FLOAT && t.rank() >= 2) {
                for (float v : t.floats()) zeros += v == 0 ? 1 : 0;
                total += t.size();
            }
        assertTrue(zeros >= 0.45 * total, file + ": " + zeros + " of " + total + " weights are zero");
        assertTrue(relErr(ort(o.model(), x()), expected(file)) < 1.0, file);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_op13.onnx", "cnn_op17.onnx", "mlp_op13.onnx", "mlp_op17.onnx"})
    void int8QuantizationRunsInOrtAndStaysClose(String file) {
        Model m = load(file);
        List<Tensor> calib = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(5);
        float[] noisy = x().floats().clone();
        for (int i = 0; i < noisy.length; i++) noisy[i] += (float) (r.nextDouble() - 0.5) * 0.2f;
        calib.add(x());
        calib.add(Tensor.of(noisy, x().shape()));
        StaticInt8Quantizer.Result q = new StaticInt8Quantizer(m, new QuantConfig(), calib).quantize();
        assertCloseToPyTorch(q.model(), file, 0.1, "int8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_op13.onnx", "cnn_op17.onnx", "mlp_op13.onnx", "mlp_op17.onnx"})
    void factorizationRunsInOrtAndStaysClose(String file) {
        Model m = load(file);
        FactorizeConfig.Method method = family(file).equals("cnn") ? FactorizeConfig.Method.TUCKER : FactorizeConfig.Method.SVD;
        FactorizePass.Result r = FactorizePass.run(m, new FactorizeConfig(method, null, 0.95, null, false, null, 2, 200, 1, 0));
        assertTrue(r.layers().stream().anyMatch(l -> l.status().equals("factorized")), file + ": " + r.layers());
        assertCloseToPyTorch(r.model(), file, 0.3, "factorized");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_op13.onnx", "mlp_op17.onnx"})
    void blockTermAndTensorTrainRunInOrtAndStayClose(String file) {
        Model m = load(file);
        FactorizeConfig.Method method = family(file).equals("cnn") ? FactorizeConfig.Method.BTD : FactorizeConfig.Method.TT;
        FactorizePass.Result r = FactorizePass.run(m, new FactorizeConfig(method, null, 0.95, null, false, null, 2, 200, 1, 0).with(2, 2, 4, 1));
        assertTrue(r.layers().stream().anyMatch(l -> l.status().equals("factorized")), file + ": " + r.layers());
        assertCloseToPyTorch(r.model(), file, 0.3, method + " factorized");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_op13.onnx", "cnn_op17.onnx", "mlp_op13.onnx", "mlp_op17.onnx"})
    void losslessEncodingReproducesPyTorchsOutputs(String file) {
        Model m = load(file);
        assertCloseToPyTorch(NnzCodec.decode(NnzCodec.encode(m, CodecOptions.losslessMode())), file, 1e-5, "lossless .nnz");
        assertCloseToPyTorch(NnzCodec.decode(NnzCodec.encode(m, CodecOptions.defaults())), file, 0.1, "default .nnz");
    }
}
