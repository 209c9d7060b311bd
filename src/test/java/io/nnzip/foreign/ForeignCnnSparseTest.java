package io.nnzip.foreign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Canonical;
import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.SparseWeights;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.prune.UnstructuredPruner;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Foreign CNN graphs (src/test/resources/foreign-cnn/make_fixtures.py: torch.onnx exports of MobileNetV2-, ResNet-,
 * ShuffleNetV2- and SqueezeNet-style nets, and a TensorFlow-exporter-style graph with NHWC input, explicit asymmetric
 * pads, auto_pad SAME_UPPER, dilations, Clip with min/max inputs and MatMul + Add) pruned to 90 % per layer by nnzip's
 * magnitude pruner: the engine, with its sparse kernels on and off, fused for inference or as read, must compute what
 * ONNX Runtime computes on the same pruned graph, for a batch of 4 and of 19 (a partial group of the sparse kernels'
 * images). The unpruned graphs must reproduce PyTorch's (numpy's, for the hand-built graph) own outputs.
 */
class ForeignCnnSparseTest {
    static final Path DIR = Path.of("src/test/resources/foreign-cnn");
    static final Map<String, Tensor> REF = Npy.readNpz(DIR.resolve("reference.npz"));

    static Model load(String name) {
        Model m = OnnxReader.read(DIR.resolve(name + ".onnx"));
        Canonical.apply(m);
        return m;
    }

    static Tensor input(String name, int batch) {
        Tensor x = REF.get(name.equals("tf_style") ? "x_nhwc" : "x");
        int per = x.size() / x.dim(0);
        float[] v = new float[batch * per];
        for (int i = 0; i < v.length; i++) v[i] = x.floats()[i % x.size()] * (1 + (i / x.size()) * 0.07f);
        int[] shape = x.shape().clone();
        shape[0] = batch;
        return Tensor.of(v, shape);
    }

    static Tensor engine(Model m, Tensor x, boolean sparse) {
        boolean saved = SparseWeights.enabled;
        SparseWeights.enabled = sparse;
        try (Parallel par = new Parallel(2)) {
            return new Executor(m, par).run(Map.of("input", x)).get("logits");
        } finally {
            SparseWeights.enabled = saved;
        }
    }

    static Tensor ort(Model m, Tensor x) {
        try (OrtRunner o = new OrtRunner(m, 1)) {
            return o.run(Map.of("input", x)).get("logits");
        }
    }

    static void close(Tensor want, Tensor got, double tol, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        float[] a = want.floats(), b = got.floats();
        double scale = 0, err = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(Float.isFinite(b[i]), what + ": finite");
            scale = Math.max(scale, Math.abs(a[i]));
            err = Math.max(err, Math.abs(a[i] - b[i]));
        }
        assertTrue(err <= tol * Math.max(scale, 1e-6), what + ": max |diff| " + err + " against max |want| " + scale);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mini_mbv2", "mini_resnet", "mini_shuffle", "mini_squeeze", "tf_style"})
    void unprunedMatchesItsExporter(String name) {
        Model m = load(name);
        Tensor x = input(name, 4);
        close(REF.get(name), engine(m, x, true), 1e-4, name + " engine vs exporter");
        close(REF.get(name), ort(m, x), 1e-4, name + " ORT vs exporter");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mini_mbv2", "mini_resnet", "mini_shuffle", "mini_squeeze", "tf_style"})
    void prunedMatchesOrtSparseOrDense(String name) {
        Model m = load(name);
        UnstructuredPruner.prune(m, UnstructuredPruner.Method.MAGNITUDE, 0.9, "layer", 1);
        int sparseLayers = 0;
        for (Node n : m.graph().nodes()) {
            if (!n.opType().equals("Conv") && !n.opType().equals("Gemm") && !n.opType().equals("MatMul")) continue;
            Tensor w = m.graph().initializer(n.input(1));
            if (w != null && w.size() >= 4096) sparseLayers++;
        }
        assertTrue(sparseLayers > 0, name + " has layers the sparse kernels take");
        for (int batch : new int[] {4, 19}) {
            Tensor x = input(name, batch), want = ort(m, x);
            for (Model run : new Model[] {m, Fusion.forInference(m)})
                for (boolean sparse : new boolean[] {true, false})
                    close(want, engine(run, x, sparse), 1e-4, name + " batch " + batch + (run == m ? "" : " fused") + (sparse ? " sparse" : " dense"));
        }
    }
}
