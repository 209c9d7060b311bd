package io.nnzip.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.quant.Float16Graph;
import io.nnzip.train.Evaluator;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Float16 graphs as users bring them (all float16, inputs and outputs too, as {@code model.half()} exports are) and as
 * {@code --scheme fp16} writes them, on PyTorch exports: the engine runs them (fused for inference, attention and
 * all) as ONNX Runtime does, within a few float16 roundings, both close to PyTorch's float32 logits; evaluation feeds
 * them float16 images; and widening one back to float32 is exact.
 */
class HalfGraphsTest {
    static final Path TR = Path.of("src/test/resources/transformers");

    /** The fixture, its inputs (by input name) and PyTorch's float32 logits. */
    record Fixture(Model model, Map<String, Tensor> feeds, Tensor y) {}

    static Fixture fixture(String dir, String onnx, String npz) {
        Model m = OnnxReader.read(Path.of(dir, onnx));
        Map<String, Tensor> a = Npy.readNpz(Path.of(dir, npz));
        String in = m.graph().runtimeInputs().getFirst().name();
        return new Fixture(m, Map.of(in, a.get("x")), a.get(a.containsKey("y") ? "y" : "cnn"));
    }

    static Tensor half(Tensor x) {
        float[] f = x.floats();
        short[] h = new short[f.length];
        for (int i = 0; i < f.length; i++) h[i] = Float.floatToFloat16(f[i]);
        return new Tensor(DType.FLOAT16, x.shape(), h);
    }

    static double maxDiff(Tensor a, Tensor b) {
        float[] x = a.toFloats(), y = b.toFloats();
        assertEquals(y.length, x.length);
        double d = 0;
        for (int i = 0; i < x.length; i++) {
            assertTrue(Float.isFinite(x[i]), "finite output");
            d = Math.max(d, Math.abs(x[i] - y[i]));
        }
        return d;
    }

    /** The spacing of float16 values at {@code s} (float32's spacing there times 2^13). */
    static double ulp16(double s) { return Math.ulp((float) s) * 8192; }

    static double maxAbs(Tensor a) {
        double m = 0;
        for (float v : a.toFloats()) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** float16 models, inputs float16 when {@code halfIo}: engine (fused) vs ORT on the same file vs PyTorch. */
    @ParameterizedTest
    @CsvSource({"src/test/resources/pytorch, cnn_op13.onnx, reference.npz, true", "src/test/resources/pytorch, cnn_op17.onnx, reference.npz, false",
            "src/test/resources/transformers, tv_vit_op17.onnx, tv_vit.npz, true", "src/test/resources/transformers, vit_op13.onnx, vit.npz, false",
            "src/test/resources/transformers, gpt_tiny.onnx, gpt_tiny.npz, true", "src/test/resources/transformers, nanogpt_tiny.onnx, nanogpt_tiny.npz, false",
            "src/test/resources/transformers, hf_vit_tiny_op17.onnx, hf_vit_tiny.npz, true"})
    void engineRunsFloat16GraphsAsOrtDoes(String dir, String onnx, String npz, boolean halfIo) {
        Fixture f = fixture(dir, onnx, npz);
        Model m = f.model();
        Float16Graph.convert(m, !halfIo);
        Map<String, Tensor> feeds = new java.util.HashMap<>(f.feeds());
        if (halfIo) feeds.replaceAll((k, v) -> v.dtype() == DType.FLOAT ? half(v) : v);
        Tensor ort;
        try (OrtRunner o = new OrtRunner(OnnxWriter.toBytes(m), 1)) {
            ort = o.run(feeds).get("logits");
        }
        Tensor eng = new Executor(Fusion.forInference(m), new Parallel(2)).run(feeds).get("logits");
        assertEquals(halfIo ? DType.FLOAT16 : DType.FLOAT, eng.dtype(), "the engine's output has the graph's type");
        assertEquals(ort.dtype(), eng.dtype());
        double s = maxAbs(f.y());
        // each side rounds every value to float16 (2^-11 relative) but at different points (fused attention, kernels
        // that sum in another order): a few roundings of the largest logit apart; both within 1% of PyTorch
        assertTrue(maxDiff(eng, ort) <= 4 * ulp16(s), onnx + " engine vs ORT " + maxDiff(eng, ort) + " at scale " + s);
        assertTrue(maxDiff(ort, f.y()) < 1e-2 * s, onnx + " ORT vs PyTorch " + maxDiff(ort, f.y()));
        assertTrue(maxDiff(eng, f.y()) < 1e-2 * s, onnx + " engine vs PyTorch " + maxDiff(eng, f.y()));
    }

    /**
     * The 16-bit schemes need no data: quantize converts models whose inputs are token ids, several tensors (BERT's
     * attention mask) or sequences of features through the CLI, and the written file computes PyTorch's logits in ORT and in the engine.
     */
    @ParameterizedTest
    @CsvSource({"gpt_tiny.onnx, gpt_tiny.npz, fp16, 1e-3", "nanogpt_tiny.onnx, nanogpt_tiny.npz, bf16, 5e-3",
            "bert_mask_op13.onnx, bert_mask.npz, fp16, 1e-3", "bert_mask_op13.onnx, bert_mask.npz, fixed16, 1e-4",
            "tel_tf_post.onnx, tel_tf_post.npz, fp16, 2e-3"})
    void quantizesTokenAndMaskModelsWithoutData(String onnx, String npz, String scheme, double tol, @org.junit.jupiter.api.io.TempDir Path dir) {
        Path out = dir.resolve("q.onnx");
        assertEquals(0, io.nnzip.cli.Main.run("quantize", TR.resolve(onnx).toString(), "--scheme", scheme, "-o", out.toString()));
        Model m = OnnxReader.read(out);
        Map<String, Tensor> a = Npy.readNpz(TR.resolve(npz));
        Map<String, Tensor> feeds = new java.util.HashMap<>();
        for (ValueInfo in : m.graph().runtimeInputs()) feeds.put(in.name(), a.get(in.dtype() == DType.INT64 && a.containsKey("mask") ? "mask" : "x"));
        Tensor y = a.get("y"), ort;
        try (OrtRunner o = new OrtRunner(out, 1)) {
            ort = o.run(feeds).get("logits");
        }
        Tensor eng = new Executor(Fusion.forInference(m), new Parallel(2)).run(feeds).get("logits");
        double s = maxAbs(y);
        assertTrue(maxDiff(ort, y) < tol * s, onnx + " " + scheme + " ORT vs PyTorch " + maxDiff(ort, y) + " at scale " + s);
        assertTrue(maxDiff(eng, y) < 2 * tol * s, onnx + " " + scheme + " engine vs PyTorch " + maxDiff(eng, y));
    }

    /** Evaluation feeds a float16-input model float16 images and reads float16 logits, in both runtimes. */
    @ParameterizedTest
    @ValueSource(strings = {"engine", "ort"})
    void evaluatorFeedsHalfInputs(String runtime) {
        Fixture f = fixture("src/test/resources/pytorch", "cnn_op13.onnx", "reference.npz");
        Model m = f.model();
        Float16Graph.convert(m, false);
        ValueInfo in = m.graph().runtimeInputs().getFirst();
        assertEquals(DType.FLOAT16, in.dtype());
        Tensor x = f.feeds().get(in.name());
        Tensor y;
        if (runtime.equals("engine")) y = Evaluator.engine(m, new Parallel(2)).predict(x);
        else try (OrtRunner o = new OrtRunner(OnnxWriter.toBytes(m), 1)) {
            y = Evaluator.ort(m, o).predict(x);
        }
        assertEquals(DType.FLOAT, y.dtype());
        int n = y.dim(0), k = y.dim(1);
        float[] want = f.y().floats();
        for (int r = 0; r < n; r++) assertEquals(Evaluator.argmax(want, r * k, k), Evaluator.argmax(y.floats(), r * k, k), runtime + " row " + r);
        assertTrue(maxDiff(y, f.y()) < 1e-2 * maxAbs(f.y()));
    }

    /**
     * Widening a float16 model gives float32 everywhere and, in ORT, the float32 model with float16-rounded weights
     * (exactly, up to the Constant nodes' values, which were rounded too).
     */
    @ParameterizedTest
    @CsvSource({"src/test/resources/pytorch, cnn_op13.onnx, reference.npz", "src/test/resources/transformers, gpt_tiny.onnx, gpt_tiny.npz"})
    void wideningAHalfModelIsExact(String dir, String onnx, String npz) {
        Fixture f = fixture(dir, onnx, npz);
        Model rounded = f.model().copy();
        rounded.graph().initializers().replaceAll((k, t) -> t.dtype() == DType.FLOAT ? Tensor.of(half(t).toFloats(), t.shape()) : t);
        Model m = f.model();
        Float16Graph.convert(m, false);
        assertTrue(Float16Graph.widen(m));
        assertFalse(Float16Graph.widen(m), "nothing half is left");
        for (Tensor t : m.graph().initializers().values()) assertTrue(t.dtype() != DType.FLOAT16);
        assertEquals(DType.FLOAT, m.graph().outputs().getFirst().dtype());
        Tensor a, b;
        try (OrtRunner o = new OrtRunner(OnnxWriter.toBytes(m), 1); OrtRunner r = new OrtRunner(OnnxWriter.toBytes(rounded), 1)) {
            a = o.run(f.feeds()).get("logits");
            b = r.run(f.feeds()).get("logits");
        }
        assertArrayEquals(b.floats(), a.floats(), 1e-3f * (float) maxAbs(b));
        assertTrue(maxDiff(a, f.y()) < 1e-2 * maxAbs(f.y()));
    }
}
