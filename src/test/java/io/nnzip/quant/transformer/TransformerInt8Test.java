package io.nnzip.quant.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.StaticInt8Quantizer;
import io.nnzip.quant.prep.LinearToGemm;
import io.nnzip.quant.report.OrtFusion;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Static int8 on the ViTs PyTorch exported (src/test/resources/transformers): the MatMul+bias → Gemm rewrite is
 * the same function (ONNX Runtime on it = PyTorch's logits), and the quantized graph is what ORT turns into one
 * QGemm per linear layer with nothing left dequantized between them, while its logits stay near PyTorch's.
 */
class TransformerInt8Test {
    static final Path DIR = Path.of("src/test/resources/transformers");

    static float[] ort(Model m, Tensor x) {
        try (OrtRunner r = new OrtRunner(m, 2)) {
            return r.run(Map.of("input", x)).get("logits").floats();
        }
    }

    static Model canonical(String onnx) {
        Model m = OnnxReader.read(DIR.resolve(onnx));
        io.nnzip.engine.Canonical.apply(m);
        return m;
    }

    /** max |a_i − b_i|. */
    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static double maxAbs(float[] v) {
        double m = 0;
        for (float f : v) m = Math.max(m, Math.abs(f));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void linearAsGemmKeepsTheFunction(String onnx) {
        Model m = canonical(onnx);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        // 4 blocks × (qkv, proj, fc1, fc2); the head is already a Gemm
        assertEquals(16, LinearToGemm.rewrite(m.graph(), m.opset()));
        float[] want = a.get("y").floats(), got = ort(m, a.get("x"));
        double tol = 1e-4 * maxAbs(want);
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], tol, onnx + " [" + i + "]");
    }

    /** Splitting the fused QKV projection into three is the same function, and no Split is left for ORT to copy through. */
    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void qkvSplitKeepsTheFunction(String onnx) {
        Model m = canonical(onnx);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        assertEquals(4, io.nnzip.quant.prep.QkvSplit.rewrite(m.graph(), m.opset()));
        assertTrue(m.graph().nodes().stream().noneMatch(n -> n.opType().equals("Split")), "a Split is left");
        // 4 blocks × (q, k, v, proj, fc1, fc2), and the three projections share one flattened input
        assertEquals(24, LinearToGemm.rewrite(m.graph(), m.opset()));
        assertEquals(16, m.graph().nodes().stream().filter(n -> n.opType().equals("Reshape") && n.name().endsWith("_to2d")).count());
        float[] want = a.get("y").floats(), got = ort(m, a.get("x"));
        double tol = 1e-4 * maxAbs(want);
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], tol, onnx + " [" + i + "]");
    }

    /**
     * a·v computed as Vᵀ·aᵀ with the heads merged by [0,3,1,2] is the same function in ORT and in nnzip's engine
     * (against PyTorch's logits), and no [0,2,1,3] head transpose is left on v or on the merged heads.
     */
    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void valueHeadLayoutKeepsTheFunction(String onnx) {
        Model m = canonical(onnx);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        io.nnzip.quant.prep.QkvSplit.rewrite(m.graph(), m.opset());
        assertEquals(4, io.nnzip.quant.prep.ValueHeadLayout.rewrite(m.graph()));
        // per block: q and k keep their [0,2,1,3] (k also its [0,1,3,2]); v gets [0,2,3,1], a [0,1,3,2], the merge [0,3,1,2]
        assertEquals(8, transposes(m, 0, 2, 1, 3), "only q and k keep the [0,2,1,3] head transpose");
        assertEquals(4, transposes(m, 0, 2, 3, 1));
        assertEquals(4, transposes(m, 0, 3, 1, 2));
        float[] want = a.get("y").floats(), got = ort(m, a.get("x"));
        float[] engine = new io.nnzip.engine.Executor(m, new io.nnzip.engine.Parallel(2)).run(Map.of("input", a.get("x"))).get("logits").floats();
        double tol = 1e-4 * maxAbs(want);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol, onnx + " ORT [" + i + "]");
            assertEquals(want[i], engine[i], tol, onnx + " engine [" + i + "]");
        }
    }

    static long transposes(Model m, long... perm) {
        return m.graph().nodes().stream().filter(n -> n.opType().equals("Transpose") && java.util.Arrays.equals(n.attrInts("perm", null), perm)).count();
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void everyLinearBecomesQGemmAndLogitsStayClose(String onnx) {
        Model m = canonical(onnx);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        QuantConfig cfg = new QuantConfig();
        // standard ops only (QAttentionTest covers the default, fused placement)
        cfg.qattention = false;
        StaticInt8Quantizer.Result r = new StaticInt8Quantizer(m, cfg, List.of(a.get("x"))).quantize();
        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(r.model(), 2);
        // q, k and v as three QGemm behind one QuantizeLinear: 4 × 6 + the head, and 4 × 4 + 1 quantized inputs
        assertEquals(25, ops.getOrDefault("QGemm", 0), ops.toString());
        assertEquals(17, ops.getOrDefault("QuantizeLinear", 0), ops.toString());
        assertFalse(ops.containsKey("DequantizeLinear"), ops.toString());
        assertFalse(ops.containsKey("Split"), "the QKV Split is gone: " + ops);
        assertFalse(ops.containsKey("QLinearAdd") || ops.containsKey("QLinearMul"), "residual/GELU stay float: " + ops);
        // q·kᵀ (scale folded in) and the turned-around a·v, whose aᵀ ORT folds into the product: no plain MatMul left
        assertEquals(8, ops.getOrDefault("FusedMatMul", 0), ops.toString());
        assertFalse(ops.containsKey("MatMul"), "a·v left unfused: " + ops);
        float[] want = a.get("y").floats(), got = ort(r.model(), a.get("x"));
        double err = 0;
        int agree = 0;
        for (int i = 0; i < want.length; i++) err = Math.max(err, Math.abs(want[i] - got[i]));
        for (int s = 0; s < 8; s++) agree += argmax(want, s * 10) == argmax(got, s * 10) ? 1 : 0;
        assertTrue(err < 0.1 * maxAbs(want), "int8 logits off PyTorch's by " + err + " of " + maxAbs(want));
        assertTrue(agree >= 7, agree + "/8 top-1 agree with PyTorch");
    }

    /** dynamic-int8: ORT fuses every layer into DynamicQuantizeMatMul; nnzip's engine and ORT agree on the result. */
    @org.junit.jupiter.api.Test
    void dynamicInt8FusesAndKeepsTheLogits() {
        Model m = canonical("vit_op17.onnx");
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        Model q = io.nnzip.quant.DynamicInt8Quantizer.apply(m, new QuantConfig()).model();
        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(q, 2);
        assertEquals(16, ops.getOrDefault("DynamicQuantizeMatMul", 0), ops.toString());
        float[] want = a.get("y").floats(), got = ort(q, a.get("x"));
        float[] engine = new io.nnzip.engine.Executor(q, new io.nnzip.engine.Parallel(2)).run(Map.of("input", a.get("x"))).get("logits").floats();
        double err = 0, cross = 0;
        for (int i = 0; i < want.length; i++) {
            err = Math.max(err, Math.abs(want[i] - got[i]));
            cross = Math.max(cross, Math.abs(engine[i] - got[i]));
        }
        assertTrue(err < 0.1 * maxAbs(want), "dynamic int8 logits off PyTorch's by " + err);
        assertTrue(cross < 1e-3 * maxAbs(want), "engine vs ORT on the dynamic graph: " + cross);
    }

    static int argmax(float[] v, int off) {
        int b = off;
        for (int i = off; i < off + 10; i++) if (v[i] > v[b]) b = i;
        return b - off;
    }
}
