package io.nnzip.quant.transformer;

import static io.nnzip.quant.transformer.TransformerInt8Test.DIR;
import static io.nnzip.quant.transformer.TransformerInt8Test.argmax;
import static io.nnzip.quant.transformer.TransformerInt8Test.canonical;
import static io.nnzip.quant.transformer.TransformerInt8Test.maxAbs;
import static io.nnzip.quant.transformer.TransformerInt8Test.ort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.Scheme;
import io.nnzip.quant.StaticInt8Quantizer;
import io.nnzip.quant.WeightSchemes;
import io.nnzip.quant.prep.InputScaling;
import io.nnzip.quant.report.OrtFusion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * int4 weight-only (MatMulNBits, GPTQ, AWQ) and SmoothQuant on the ViTs PyTorch exported at opsets 13 and 17:
 * the per-channel scaling they share keeps PyTorch's logits exactly (folded into LayerNormalization or the
 * decomposed LayerNorm's Mul/Add), ORT runs every linear layer as MatMulNBits, and the 4-bit logits stay near PyTorch's.
 */
class TransformerInt4Test {
    static void assertClose(float[] want, float[] got, double share, String what) {
        double err = 0;
        int agree = 0;
        for (int i = 0; i < want.length; i++) err = Math.max(err, Math.abs(want[i] - got[i]));
        for (int s = 0; s < want.length / 10; s++) agree += argmax(want, s * 10) == argmax(got, s * 10) ? 1 : 0;
        assertTrue(err < share * maxAbs(want), what + " logits off PyTorch's by " + err + " of " + maxAbs(want));
        assertTrue(agree >= want.length / 10 - 1, what + ": " + agree + " top-1 agree with PyTorch");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void inputScalingKeepsTheFunction(String onnx) {
        Model m = canonical(onnx);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        Graph g = m.graph();
        Map<String, List<Node>> byInput = new LinkedHashMap<>();
        for (Node n : g.nodes()) if (InputScaling.scalable(g, n)) byInput.computeIfAbsent(n.input(0), t -> new ArrayList<>()).add(n);
        SplittableRandom r = new SplittableRandom(7);
        int folded = 0;
        for (Map.Entry<String, List<Node>> e : byInput.entrySet()) {
            Node l = e.getValue().get(0);
            int k = l.opType().equals("Gemm") && l.attrInt("transB", 0) != 0 ? g.initializer(l.input(1)).dim(1) : g.initializer(l.input(1)).dim(0);
            float[] s = new float[k];
            for (int i = 0; i < k; i++) s[i] = (float) (0.5 + 1.5 * r.nextDouble());
            if (InputScaling.apply(g, e.getKey(), s, e.getValue(), true) == InputScaling.How.LAYERNORM) folded++;
        }
        // qkv and fc1 of each of the 4 blocks read a LayerNorm; proj, fc2 and the head (after the mean) need a Mul
        assertEquals(8, folded, onnx);
        float[] want = a.get("y").floats(), got = ort(m, a.get("x"));
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4 * maxAbs(want), onnx + " [" + i + "]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void int4GptqAwqRunsAsMatMulNBits(String onnx) {
        Model m = canonical(onnx);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        QuantConfig cfg = new QuantConfig();
        cfg.scheme = "int4";
        cfg.weightOnly = true;
        cfg.gptq = true;
        cfg.awq = true;
        WeightSchemes.Applied q = WeightSchemes.apply(m, Scheme.parse("int4"), cfg, null, null, List.of(a.get("x")), s -> { });
        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(q.model(), 2);
        assertEquals(16, ops.getOrDefault("MatMulNBits", 0), ops.toString());
        assertEquals(16, q.notes().get("gptq_layers") instanceof Integer i ? i - 1 : -1, "16 MatMuls and the head Gemm had GPTQ");
        float[] got = ort(q.model(), a.get("x"));
        assertClose(a.get("y").floats(), got, 0.15, onnx + " int4");
        // nnzip's engine decodes MatMulNBits itself (eval / encode of the 4-bit model): same logits as ORT
        float[] engine = new io.nnzip.engine.Executor(q.model(), new io.nnzip.engine.Parallel(2)).run(Map.of("input", a.get("x"))).get("logits").floats();
        for (int i = 0; i < got.length; i++) assertEquals(got[i], engine[i], 1e-3 * maxAbs(got), onnx + " engine vs ORT [" + i + "]");
        // the reference (AWQ-scaled float model) is still PyTorch's function
        assertClose(a.get("y").floats(), ort(q.reference(), a.get("x")), 1e-4, onnx + " AWQ-scaled float");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void smoothQuantKeepsEveryQGemm(String onnx) {
        Model m = canonical(onnx);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        QuantConfig cfg = new QuantConfig();
        cfg.smoothquant = 0.5;
        StaticInt8Quantizer.Result r = new StaticInt8Quantizer(m, cfg, List.of(a.get("x"))).quantize();
        @SuppressWarnings("unchecked")
        Map<String, String> smoothed = (Map<String, String>) r.notes().get("smoothquant");
        assertEquals(8, smoothed.values().stream().filter("layernorm"::equals).count(), smoothed.toString());
        assertClose(a.get("y").floats(), ort(r.prepared(), a.get("x")), 1e-4, onnx + " smoothed float");
        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(r.model(), 2);
        // q, k, v split after smoothing, and each block's three then fused into one QAttention: every linear stays integer
        assertEquals(13, ops.getOrDefault("QGemm", 0), ops.toString());
        assertEquals(4, ops.getOrDefault("QAttention", 0), ops.toString());
        assertClose(a.get("y").floats(), ort(r.model(), a.get("x")), 0.1, onnx + " smoothquant int8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void compactNamesKeepTheFunctionAndShrinkTheFile(String onnx) {
        Model m = canonical(onnx);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        int before = io.nnzip.onnx.OnnxWriter.toBytes(m).length;
        assertTrue(io.nnzip.ir.CompactNames.apply(m.graph()) > 100);
        assertTrue(io.nnzip.onnx.OnnxWriter.toBytes(m).length < before - 10_000, "long exporter names gone");
        java.util.Set<String> nodeNames = new java.util.HashSet<>();
        for (io.nnzip.ir.Node n : m.graph().nodes()) assertTrue(n.name().length() <= 4 && (n.name().isEmpty() || nodeNames.add(n.name())), "short, unique node name " + n.name());
        float[] want = a.get("y").floats(), got = ort(m, a.get("x"));
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4 * maxAbs(want), onnx + " [" + i + "]");
    }

    @org.junit.jupiter.api.Test
    void matMulNBitsCountsItsMacs() {
        // by hand for the fixture (dim 64, 4 blocks, 4 heads, MLP 128, 7×7 patches → 16 tokens, 10 classes), per image:
        // patch conv 16·64·49; per block qkv 16·64·192, q·kᵀ and a·v 2·4·16·16·16, proj 16·64·64, fc1 and fc2 2·16·64·128;
        // head 64·10 after the mean
        long block = 16L * 64 * 192 + 2L * 4 * 16 * 16 * 16 + 16L * 64 * 64 + 2L * 16 * 64 * 128;
        long hand = 16L * 64 * 49 + 4 * block + 64L * 10;
        Model m = canonical("vit_op17.onnx");
        assertEquals(hand, io.nnzip.eval.ModelStats.of(m).macs, "float ViT");
        QuantConfig cfg = new QuantConfig();
        cfg.scheme = "int4";
        cfg.weightOnly = true;
        WeightSchemes.Applied q = WeightSchemes.apply(m, Scheme.parse("int4"), cfg, null, null, List.of(), s -> { });
        io.nnzip.eval.ModelStats s = io.nnzip.eval.ModelStats.of(q.model());
        assertEquals(16, s.opCounts.getOrDefault("MatMulNBits", 0), s.opCounts.toString());
        assertEquals(hand, s.macs, "int4 ViT: every MatMulNBits counts K·N per row");
        assertEquals(null, s.macsNote);
    }
}
