package io.nnzip.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.autodiff.Backprop;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Transformers exported by PyTorch (src/test/resources/transformers/make_fixtures.py): the engine's logits equal
 * PyTorch's saved ones and ONNX Runtime's, and gradients through a whole exported ViT equal PyTorch's autograd and
 * finite differences.
 */
class TorchTransformerTest {
    static final Path DIR = Path.of("src/test/resources/transformers");
    private static final Parallel PAR = new Parallel(2);

    static Model model(String name) { return OnnxReader.read(DIR.resolve(name)); }

    static Map<String, Tensor> arrays(String name) { return Npy.readNpz(DIR.resolve(name)); }

    private static void assertClose(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + " size");
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], tol, what + " [" + i + "]");
    }

    private static double scale(float[] v) {
        double m = 0;
        for (float f : v) m = Math.max(m, Math.abs(f));
        return m;
    }

    private static void engineEqualsTorchAndOrt(String onnx, String npz, String input) {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(DIR.resolve(onnx)), "make_fixtures.py has not written " + onnx);
        Model m = model(onnx);
        Map<String, Tensor> a = arrays(npz);
        Map<String, Tensor> feeds = Map.of(input, a.get("x"));
        float[] want = a.get("y").floats(), got = new Executor(m, PAR).run(feeds).get("logits").floats();
        double tol = 1e-4 * scale(want);
        assertClose(want, got, tol, onnx + " engine vs PyTorch");
        try (OrtRunner ort = new OrtRunner(DIR.resolve(onnx), 2)) {
            assertClose(ort.run(feeds).get("logits").floats(), got, tol, onnx + " engine vs ONNX Runtime");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void vitLogitsMatchPyTorchAndOrt(String onnx) { engineEqualsTorchAndOrt(onnx, "vit.npz", "input"); }

    @Test void causalLmLogitsMatchPyTorchAndOrt() { engineEqualsTorchAndOrt("gpt_tiny.onnx", "gpt_tiny.npz", "ids"); }

    /**
     * The exporter renames and transposes parameters (Linear weights become "onnx::MatMul_N", stored (in, out)) and
     * merges equal ones (fresh LayerNorm weights) behind Identity nodes; an initializer's expected gradient is the sum
     * of PyTorch's over every parameter holding its values, transposed where the values are.
     */
    private static float[] expectedGrad(Tensor init, Map<String, Tensor> a) {
        float[] v = init.floats(), sum = null;
        for (String k : a.keySet()) {
            if (!k.startsWith("p.")) continue;
            Tensor p = a.get(k), g = a.get("g." + k.substring(2));
            if (p.size() != v.length) continue;
            float[] pv = p.floats(), gv = g.floats();
            boolean same = java.util.Arrays.equals(pv, v), transposed = !same && p.rank() == 2 && java.util.Arrays.equals(transpose(pv, p.dim(0), p.dim(1)), v);
            if (!same && !transposed) continue;
            float[] add = transposed ? transpose(gv, p.dim(0), p.dim(1)) : gv;
            if (sum == null) sum = new float[v.length];
            for (int i = 0; i < v.length; i++) sum[i] += add[i];
        }
        return sum;
    }

    private static float[] transpose(float[] x, int r, int c) {
        float[] t = new float[x.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) t[j * r + i] = x[i * c + j];
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_tiny_op13.onnx", "vit_tiny_op17.onnx"})
    void gradientsThroughExportedVitMatchPyTorchAndFiniteDifferences(String onnx) { gradientsMatchPyTorch(onnx, false); }

    /** The same through the training fusion (fused attention, LayerNorm, GELU and linear layers, see Tape.fuseTransformers). */
    @ParameterizedTest
    @ValueSource(strings = {"vit_tiny_op13.onnx", "vit_tiny_op17.onnx"})
    void fusedTrainingGradientsMatchPyTorchAndFiniteDifferences(String onnx) { gradientsMatchPyTorch(onnx, true); }

    private static void gradientsMatchPyTorch(String onnx, boolean fused) {
        Model m = model(onnx);
        Map<String, Tensor> a = arrays("vit_tiny.npz");
        List<String> params = new ArrayList<>();
        for (String name : m.graph().initializers().keySet()) if (m.graph().initializer(name).dtype() == DType.FLOAT && m.graph().initializer(name).size() > 1) params.add(name);
        Tape tape = new Tape(m.graph(), m.opset(), PAR, 0);
        if (fused) {
            // attention, 2 (op17) or 3 (op13) LayerNorms, GELU, and the qkv, proj, fc1, fc2 linears of the one block
            int patterns = tape.fuseTransformers(List.of("logits"));
            assertTrue(patterns >= (onnx.contains("op13") ? 9 : 6), "fused " + patterns + " patterns");
            assertTrue(tape.order().stream().anyMatch(n -> n.opType().equals(io.nnzip.engine.ops.AttentionOps.OP)), "attention fused");
        }
        Map<String, Tensor> feeds = Map.of("input", a.get("x"));
        Tensor y = tape.forward(feeds, true).get("logits");
        assertClose(a.get("y").floats(), y.floats(), 1e-4 * scale(a.get("y").floats()), "tiny logits");
        Tensor w = a.get("w");
        // gradient arrays are the step's (recycled by the next forward pass, which the finite differences below run)
        Map<String, Tensor> g = new java.util.HashMap<>();
        new Backprop(tape, params).run(Map.of("logits", w)).forEach((k, v) -> g.put(k, v.copy()));
        int matched = 0;
        for (String p : params) {
            float[] want = expectedGrad(m.graph().initializer(p), a);
            if (want == null) continue;
            matched++;
            assertClose(want, g.get(p).floats(), 1e-4 * Math.max(1e-3, scale(want)), onnx + " d/d " + p + " vs PyTorch");
            float[] v = m.graph().initializer(p).floats(), an = g.get(p).floats().clone();
            for (int i = 0; i < v.length; i += Math.max(1, v.length / 4)) {
                float orig = v[i], h = 1e-2f;
                v[i] = orig + h;
                double lp = dot(tape.forward(feeds, false).get("logits").floats(), w.floats());
                v[i] = orig - h;
                double lm = dot(tape.forward(feeds, false).get("logits").floats(), w.floats());
                v[i] = orig;
                double num = (lp - lm) / (2 * h);
                assertEquals(num, an[i], 2e-3 + 2e-2 * Math.abs(num), onnx + " finite difference d/d " + p + "[" + i + "]");
            }
        }
        assertTrue(matched >= 12, "matched " + matched + " of " + params);
    }

    /**
     * Exports whose attention is not timm's form — torchvision's nn.MultiheadAttention ((T, B·h, d) heads, Slices of
     * the in-projection) and PyTorch 2's scaled_dot_product_attention (q and kᵀ scaled by a factor computed from q's
     * shape), Hugging Face's separate query, key and value Linears, and nanoGPT's masked causal attention — train on the fused attention too, with the
     * unfused tape's gradients (its per-op rules), confirmed by finite differences on the fused tape.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"tv_vit_op13.onnx, tv_vit.npz", "tv_vit_op17.onnx, tv_vit.npz", "sdpa_tiny_op17.onnx, sdpa_tiny.npz",
            "bert_tiny_op13.onnx, bert_tiny.npz", "nanogpt_tiny.onnx, nanogpt_tiny.npz",
            "hf_vit_tiny_op17.onnx, hf_vit_tiny.npz", "tel_tf_post.onnx, tel_tf_post.npz"})
    void foreignAttentionFormsTrainFused(String onnx, String npz) {
        Model m = model(onnx);
        Map<String, Tensor> a = arrays(npz);
        List<String> params = new ArrayList<>();
        for (String name : m.graph().initializers().keySet()) if (m.graph().initializer(name).dtype() == DType.FLOAT && m.graph().initializer(name).size() > 1) params.add(name);
        Tape plain = new Tape(m.graph(), m.opset(), PAR, 0), fused = new Tape(m.graph(), m.opset(), PAR, 0);
        assertTrue(fused.fuseTransformers(List.of("logits")) > 0, "patterns fused");
        long blocks = m.graph().nodes().stream().filter(n -> n.opType().equals("Softmax")).count();
        assertEquals(blocks, fused.order().stream().filter(n -> n.opType().equals(io.nnzip.engine.ops.AttentionOps.OP)).count(), "attention blocks fused");
        Map<String, Tensor> feeds = Map.of(m.graph().runtimeInputs().getFirst().name(), a.get("x"));
        Tensor y = fused.forward(feeds, true).get("logits");
        assertClose(a.get("y").floats(), y.floats(), 1e-4 * scale(a.get("y").floats()), "fused logits vs PyTorch");
        float[] w = new float[y.size()];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        Tensor wt = Tensor.of(w, y.shape());
        Map<String, Tensor> want = new java.util.HashMap<>(), got = new java.util.HashMap<>();
        plain.forward(feeds, true);
        new Backprop(plain, params).run(Map.of("logits", wt)).forEach((k, v) -> want.put(k, v.copy()));
        fused.forward(feeds, true);
        new Backprop(fused, params).run(Map.of("logits", wt)).forEach((k, v) -> got.put(k, v.copy()));
        for (String p : params) {
            // a buffer read only through a mask (nanoGPT's tril) has no gradient, fused or not
            assertEquals(want.containsKey(p), got.containsKey(p), p + " has a gradient");
            if (!want.containsKey(p)) continue;
            float[] e = want.get(p).floats(), an = got.get(p).floats();
            // the key bias's gradient is exactly zero (the softmax ignores a shift shared by all keys): rounding noise
            assertClose(e, an, 1e-4 * Math.max(1e-2, scale(e)), onnx + " fused vs unfused d/d " + p);
            float[] v = m.graph().initializer(p).floats();
            for (int i = 0; i < v.length; i += Math.max(1, v.length / 3)) {
                float orig = v[i], h = 1e-2f;
                v[i] = orig + h;
                double lp = dot(fused.forward(feeds, false).get("logits").floats(), w);
                v[i] = orig - h;
                double lm = dot(fused.forward(feeds, false).get("logits").floats(), w);
                v[i] = orig;
                double num = (lp - lm) / (2 * h);
                assertEquals(num, an[i], 2e-3 + 2e-2 * Math.abs(num), onnx + " finite difference d/d " + p + "[" + i + "]");
            }
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
