package io.nnzip.quant.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.numpy.Npy;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.StaticInt8Quantizer;
import io.nnzip.quant.report.OrtFusion;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * QAttention for nn.MultiheadAttention as PyTorch exports it (torchvision's VisionTransformer: (T, B, D) inside the
 * block, one in_proj MatMul split three ways, q divided by √d): both blocks of the 2-layer fixture fuse, the fused
 * int8 logits stay at the unfused int8 file's and near PyTorch's, and nnzip's engine computes ORT's.
 */
class TorchMhaFusionTest {
    static final java.nio.file.Path DIR = TransformerInt8Test.DIR;

    static StaticInt8Quantizer.Result quantize(Model m, Tensor x, boolean qattention) {
        QuantConfig cfg = new QuantConfig();
        cfg.qattention = qattention;
        cfg.tanhGelu = "off";
        return new StaticInt8Quantizer(m, cfg, List.of(x)).quantize();
    }

    /**
     * Hand count: 2 blocks → 2 QAttention; ORT's graph then has 7 QGemm (out_proj, fc1, fc2 per block and the head),
     * no Softmax, no attention MatMul, and one Transpose (the patch embedding's permute): the (T, B) transposes
     * around each block are gone.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tv_vit_op13.onnx", "tv_vit_op17.onnx"})
    void torchvisionVitFuses(String onnx) {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("tv_vit.npz"));
        Model m = TransformerInt8Test.canonical(onnx);
        StaticInt8Quantizer.Result fused = quantize(m, a.get("x"), true), plain = quantize(m, a.get("x"), false);
        assertEquals(2, fused.notes().get("qattention_blocks"), onnx);
        // the in-projection's input Transpose moved after it: all 5 LayerNorms (2 per block, the final one) fold
        assertEquals(2, fused.notes().get("transposes_after_linear"), onnx);
        assertEquals(5, fused.notes().get("layernorms_folded"), onnx);
        assertEquals(io.nnzip.eval.ModelStats.of(plain.model()).macs, io.nnzip.eval.ModelStats.of(fused.model()).macs);
        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(fused.model(), 2);
        assertEquals(2, ops.getOrDefault("QAttention", 0), ops.toString());
        assertEquals(7, ops.getOrDefault("QGemm", 0), ops.toString());
        assertEquals(1, ops.getOrDefault("Transpose", 0), ops.toString());
        assertTrue(!ops.containsKey("Softmax") && !ops.containsKey("FusedMatMul") && !ops.containsKey("MatMul")
                && !ops.containsKey("MatMulIntegerToFloat") && !ops.containsKey("LayerNormalization"), ops.toString());
        float[] want = a.get("y").floats(), got = TransformerInt8Test.ort(fused.model(), a.get("x")), ref = TransformerInt8Test.ort(plain.model(), a.get("x"));
        float[] engine = new Executor(fused.model(), new Parallel(2)).run(Map.of("input", a.get("x"))).get("logits").floats();
        double scale = TransformerInt8Test.maxAbs(want), vsTorch = TransformerInt8Test.maxDiff(want, got), vsPlain = TransformerInt8Test.maxDiff(ref, got),
                vsEngine = TransformerInt8Test.maxDiff(engine, got);
        // the float model the int8 one approximates (Transposes moved, Shapes read through a Gather, LayerNorms folded) is PyTorch's
        float[] prepared = TransformerInt8Test.ort(fused.prepared(), a.get("x"));
        double vsPrepared = TransformerInt8Test.maxDiff(want, prepared);
        assertTrue(vsPrepared < 1e-4 * scale, onnx + " prepared float model off PyTorch's by " + vsPrepared + " of " + scale);
        assertTrue(vsTorch < 0.1 * scale, onnx + " fused int8 logits off PyTorch's by " + vsTorch + " of " + scale);
        assertTrue(vsPlain < 0.02 * scale, onnx + " fused vs unfused int8 file: " + vsPlain + " of " + scale);
        assertTrue(vsEngine < 0.01 * scale, onnx + " engine vs ORT on the fused file: " + vsEngine + " of " + scale);
    }

    /**
     * When the out-projection's (T·B, M) output is also read elsewhere (here: a graph output) its rows must stay in
     * (T, B) order: QAttention's output is transposed back, the block still fuses, and both outputs equal the
     * unfused file's.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tv_vit_op17.onnx"})
    void outProjectionReadElsewhereKeepsItsRowOrder(String onnx) {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("tv_vit.npz"));
        Model plain = quantize(TransformerInt8Test.canonical(onnx), a.get("x"), false).model();
        Node gemm = plain.graph().nodes().stream().filter(n -> n.opType().equals("Gemm") && n.name().endsWith("self_attention/Gemm")).findFirst().orElseThrow();
        String extra = gemm.output(0);
        plain.graph().outputs().add(ValueInfo.of(extra, DType.FLOAT, -1, 16));
        Model fused = plain.copy();
        assertEquals(2, io.nnzip.quant.prep.QAttentionFusion.rewrite(fused));
        assertEquals(1, fused.graph().nodes().stream().filter(n -> n.name().endsWith("/QAttentionToTB")).count());
        try (OrtRunner r = new OrtRunner(plain, 2); OrtRunner f = new OrtRunner(fused, 2)) {
            Map<String, Tensor> want = r.run(Map.of("input", a.get("x"))), got = f.run(Map.of("input", a.get("x")));
            for (String out : List.of("logits", extra)) {
                float[] w = want.get(out).floats(), g = got.get(out).floats();
                assertEquals(w.length, g.length, out);
                double scale = TransformerInt8Test.maxAbs(w), d = TransformerInt8Test.maxDiff(w, g);
                assertTrue(d < 0.02 * scale, out + ": fused vs unfused " + d + " of " + scale);
            }
        }
    }

    /**
     * A block whose transposed (T, B, D) input is also a graph output keeps that Transpose before its in-projection
     * (TransposeAfterLinear moves the other block's only) and so its MatMul form: both blocks still fuse, the logits stay
     * at the unfused file's, and nnzip's engine computes ORT's.
     */
    @org.junit.jupiter.api.Test
    void transposedInputReadElsewhereFusesFromTheMatMul() {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("tv_vit.npz"));
        Model m = TransformerInt8Test.canonical("tv_vit_op17.onnx");
        Node tr = m.graph().nodes().stream().filter(n -> n.opType().equals("Transpose") && java.util.Arrays.equals(n.attrInts("perm", null), new long[] {1, 0, 2})
                && m.graph().consumers().get(n.output(0)).stream().anyMatch(r -> r.opType().equals("MatMul"))).findFirst().orElseThrow();
        m.graph().outputs().add(ValueInfo.of(tr.output(0), DType.FLOAT, 5, -1, 16));
        StaticInt8Quantizer.Result fused = quantize(m, a.get("x"), true), plain = quantize(m, a.get("x"), false);
        assertEquals(1, fused.notes().get("transposes_after_linear"));
        assertEquals(2, fused.notes().get("qattention_blocks"));
        assertEquals(2, fused.model().graph().nodes().stream().filter(n -> n.opType().equals("QAttention")).count());
        float[] want = TransformerInt8Test.ort(plain.model(), a.get("x")), got = TransformerInt8Test.ort(fused.model(), a.get("x"));
        float[] engine = new Executor(fused.model(), new Parallel(2)).run(Map.of("input", a.get("x"))).get("logits").floats();
        double scale = TransformerInt8Test.maxAbs(want), d = TransformerInt8Test.maxDiff(want, got), e = TransformerInt8Test.maxDiff(engine, got);
        assertTrue(d < 0.02 * scale, "fused vs unfused: " + d + " of " + scale);
        assertTrue(e < 0.01 * scale, "engine vs ORT: " + e + " of " + scale);
    }
}
