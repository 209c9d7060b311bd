package io.nnzip.quant.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.numpy.Npy;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.StaticInt8Quantizer;
import io.nnzip.quant.prep.LayerNormFold;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LayerNorm γ/β folded into the linear layers reading it, the normalization as InstanceNormalization: ONNX Runtime
 * computes the PyTorch exports' logits from the rewritten float graph as from the original, the LayerNorms counted by
 * hand are the ones rewritten, and LayerNorms whose output also goes elsewhere (post-norm residuals) are left alone.
 */
class LayerNormFoldTest {
    static final java.nio.file.Path DIR = TransformerInt8Test.DIR;

    /**
     * Hand counts: the ViTs are pre-norm, 2 LayerNorms per block (into qkv, into fc1) and the final one (through the
     * mean over tokens into the head): 4 blocks 9, 1 block 3, written out (opset 13) or not (17). The causal LM (dynamic
     * sequence length, so through the (rows, 1, D) reshape): 2 per block and the final one into the tied LM head, a
     * MatMul without bias that gets an Add for β·W: 5. The BERT-style encoder is post-norm: ln1's output is also the
     * next residual, so only the last block's ln2 (mean over tokens into the head) folds: 1. The class-token ViT
     * (scripts/foreign-vit.py tiny: class token Expand + Concat in front, eps 1e-6, head on x[:, 0]): 2 in its block and
     * the final one through the token Gather: 3.
     */
    @ParameterizedTest
    @CsvSource({"vit_op13.onnx, vit.npz, 9", "vit_op17.onnx, vit.npz, 9", "vit_tiny_op13.onnx, vit_tiny.npz, 3", "vit_tiny_op17.onnx, vit_tiny.npz, 3",
            "gpt_tiny.onnx, gpt_tiny.npz, 5", "bert_tiny_op13.onnx, bert_tiny.npz, 1", "cls_tiny_op13.onnx, cls_tiny.npz, 3",
            "cls_tiny_op17.onnx, cls_tiny.npz, 3"})
    void exportsKeepTheirLogits(String onnx, String npz, int folds) {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve(npz));
        Model m = TransformerInt8Test.canonical(onnx), f = m.copy();
        assertEquals(folds, LayerNormFold.rewrite(f.graph(), f.opset()), onnx);
        assertEquals(folds, f.graph().nodes().stream().filter(n -> n.opType().equals("InstanceNormalization")).count(), onnx);
        if (onnx.endsWith("op17.onnx"))
            assertEquals(0, f.graph().nodes().stream().filter(n -> n.opType().equals("LayerNormalization")).count(), onnx);
        String in = m.graph().runtimeInputs().get(0).name(), out = m.graph().outputNames().get(0);
        float[] want, got;
        try (OrtRunner r = new OrtRunner(m, 2); OrtRunner g = new OrtRunner(f, 2)) {
            want = r.run(Map.of(in, a.get("x"))).get(out).floats();
            got = g.run(Map.of(in, a.get("x"))).get(out).floats();
        }
        float[] engine = new Executor(f, new Parallel(2)).run(Map.of(in, a.get("x"))).get(out).floats();
        double tol = 2e-5 * TransformerInt8Test.maxAbs(want) + 1e-6;
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol, onnx + " ORT [" + i + "]");
            assertEquals(want[i], engine[i], tol, onnx + " engine [" + i + "]");
        }
    }

    /**
     * Small graphs: LayerNorm → (class token) Gather → Gemm(transB) is folded into the Gemm's weight and bias, as is
     * LayerNorm → Transpose(1, 0, 2) → MatMul + bias (nn.MultiheadAttention's batch-tokens swap); a MatMul without a
     * bias gets an Add for β·W (none when β = 0); a LayerNorm whose output is also added to another value, or read
     * through a Transpose that moves the feature axis, is kept. Values checked against ORT on the original graph.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gather-gemm", "residual", "matmul-beta", "matmul-no-beta", "swap-matmul", "feature-transpose"})
    void smallGraphs(String kind) {
        int b = 3, t = 5, d = 8, n = 6;
        Random rnd = new Random(3);
        Graph g = new Graph("ln");
        g.inputs().add(ValueInfo.of("x", DType.FLOAT, -1, t, d));
        g.initializers().put("gamma", Tensor.of(randn(rnd, d, 1.0, 0.5), d));
        g.initializers().put("beta", Tensor.of(kind.equals("matmul-no-beta") ? new float[d] : randn(rnd, d, 0, 0.3), d));
        g.nodes().add(new Node("ln", "LayerNormalization", List.of("x", "gamma", "beta"), List.of("y")).set(Attribute.of("epsilon", 1e-5f)));
        switch (kind) {
            case "gather-gemm" -> {
                g.initializers().put("zero", Tensor.scalarLong(0));
                g.initializers().put("w", Tensor.of(randn(rnd, n * d, 0, 0.4), n, d));
                g.initializers().put("c", Tensor.of(randn(rnd, n, 0, 0.1), n));
                g.nodes().add(new Node("cls", "Gather", List.of("y", "zero"), List.of("c0")).set(Attribute.of("axis", 1L)));
                g.nodes().add(new Node("head", "Gemm", List.of("c0", "w", "c"), List.of("out")).set(Attribute.of("transB", 1L)));
                g.outputs().add(ValueInfo.of("out", DType.FLOAT, -1, n));
            }
            case "residual" -> {
                g.initializers().put("w", Tensor.of(randn(rnd, d * d, 0, 0.4), d, d));
                g.nodes().add(new Node("mm", "MatMul", List.of("y", "w"), List.of("h")));
                g.nodes().add(new Node("res", "Add", List.of("h", "y"), List.of("out")));
                g.outputs().add(ValueInfo.of("out", DType.FLOAT, -1, t, d));
            }
            case "swap-matmul", "feature-transpose" -> {
                boolean swap = kind.equals("swap-matmul");
                int k = swap ? d : t;
                g.initializers().put("w", Tensor.of(randn(rnd, k * n, 0, 0.4), k, n));
                g.initializers().put("c", Tensor.of(randn(rnd, n, 0, 0.1), n));
                g.nodes().add(new Node("tr", "Transpose", List.of("y"), List.of("yt")).set(Attribute.of("perm", swap ? new long[] {1, 0, 2} : new long[] {0, 2, 1})));
                g.nodes().add(new Node("mm", "MatMul", List.of("yt", "w"), List.of("h")));
                g.nodes().add(new Node("bias", "Add", List.of("h", "c"), List.of("out")));
                g.outputs().add(swap ? ValueInfo.of("out", DType.FLOAT, t, -1, n) : ValueInfo.of("out", DType.FLOAT, -1, d, n));
            }
            default -> {
                g.initializers().put("w", Tensor.of(randn(rnd, d * n, 0, 0.4), d, n));
                g.nodes().add(new Node("mm", "MatMul", List.of("y", "w"), List.of("out")));
                g.outputs().add(ValueInfo.of("out", DType.FLOAT, -1, t, n));
            }
        }
        Model m = new Model(g);
        m.opsets().put("", 17L);
        Model f = m.copy();
        boolean kept = kind.equals("residual") || kind.equals("feature-transpose");
        assertEquals(kept ? 0 : 1, LayerNormFold.rewrite(f.graph(), 17), kind);
        long adds = f.graph().nodes().stream().filter(nd -> nd.opType().equals("Add")).count();
        // the residual, the inserted bias for β·W, the graphs' own bias Adds
        assertEquals(kind.equals("gather-gemm") || kind.equals("matmul-no-beta") ? 0 : 1, adds, kind);
        Tensor x = Tensor.of(randn(rnd, b * t * d, 0.5, 2.0), b, t, d);
        float[] ref, got;
        try (OrtRunner r = new OrtRunner(m, 2); OrtRunner h = new OrtRunner(f, 2)) {
            ref = r.run(Map.of("x", x)).get("out").floats();
            got = h.run(Map.of("x", x)).get("out").floats();
        }
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-5 * TransformerInt8Test.maxAbs(ref) + 1e-6, kind + " [" + i + "]");
    }

    /**
     * The int8 ViT (opset 17) with and without the fold: the folded file has no LayerNormalization left in ORT's
     * optimized graph, its logits stay near PyTorch's and near the unfolded int8 file's (only the quantized tensor
     * after each LayerNorm differs: n instead of γ·n + β).
     */
    @Test
    void int8VitFoldedStaysNearPyTorch() {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        QuantConfig cfg = new QuantConfig();
        StaticInt8Quantizer.Result folded = new StaticInt8Quantizer(TransformerInt8Test.canonical("vit_op17.onnx"), cfg, List.of(a.get("x"))).quantize();
        cfg.foldLayerNorm = false;
        StaticInt8Quantizer.Result kept = new StaticInt8Quantizer(TransformerInt8Test.canonical("vit_op17.onnx"), cfg, List.of(a.get("x"))).quantize();
        assertEquals(9, folded.notes().get("layernorms_folded"));
        assertTrue(!kept.notes().containsKey("layernorms_folded"), kept.notes().toString());
        Map<String, Integer> ops = io.nnzip.quant.report.OrtFusion.optimizedOpCounts(folded.model(), 2);
        assertEquals(9, ops.getOrDefault("InstanceNormalization", 0), ops.toString());
        assertTrue(!ops.containsKey("LayerNormalization"), ops.toString());
        float[] torch = a.get("y").floats(), f = TransformerInt8Test.ort(folded.model(), a.get("x")), k = TransformerInt8Test.ort(kept.model(), a.get("x"));
        double scale = TransformerInt8Test.maxAbs(torch), vsTorch = TransformerInt8Test.maxDiff(torch, f), vsKept = TransformerInt8Test.maxDiff(k, f);
        assertTrue(vsTorch < 0.1 * scale, "folded int8 vs PyTorch: " + vsTorch + " of " + scale);
        assertTrue(vsKept < 0.1 * scale, "folded vs kept int8: " + vsKept + " of " + scale);
    }

    /** The command: folded by default, kept with --no-fold-layernorm; the provenance records the setting and the count. */
    @Test
    void commandOptionAndProvenance(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/share/datasets/fashion-mnist")), "needs fashion-mnist");
        for (boolean fold : new boolean[] {true, false}) {
            java.nio.file.Path out = dir.resolve("q" + fold + ".onnx");
            List<String> args = new ArrayList<>(List.of("quantize", DIR.resolve("vit_op13.onnx").toString(), "--scheme", "int8", "--data", "fashion-mnist",
                    "--calib-images", "32", "--eval-size", "32", "--latency-batch", "0", "--json", "-o", out.toString()));
            if (!fold) args.add("--no-fold-layernorm");
            assertEquals(0, io.nnzip.cli.Main.run(args.toArray(String[]::new)), String.join(" ", args));
            Model q = io.nnzip.onnx.OnnxReader.read(out);
            long in = q.graph().nodes().stream().filter(n -> n.opType().equals("InstanceNormalization")).count();
            String rec = q.metadata().get("nnzip.quantize");
            assertEquals(fold ? 9 : 0, in);
            assertTrue(rec.contains("\"fold_layer_norm\":" + fold) && rec.contains("\"layernorms_folded\":9") == fold, rec);
        }
    }

    /**
     * A class-token ViT written as timm does (scripts/foreign-vit.py tiny; 4 patches + the class token = 5 tokens,
     * untrained, γ/β and the class token moved off their init): the int8 file folds its 3 LayerNorms by hand count
     * (norm1 → qkv, norm2 → fc1, the final norm through the class-token Gather into the head), fuses its 1 attention
     * block into QAttention, keeps the token count static through the class token's Expand + Concat (each
     * InstanceNormalization over the 5 tokens as channels, no (rows, 1, D) reshape), has no LayerNormalization left in
     * ORT's optimized graph, and its ORT logits stay near PyTorch's.
     */
    @ParameterizedTest
    @ValueSource(strings = {"cls_tiny_op13.onnx", "cls_tiny_op17.onnx"})
    void classTokenVitInt8(String onnx) {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("cls_tiny.npz"));
        StaticInt8Quantizer.Result r = new StaticInt8Quantizer(TransformerInt8Test.canonical(onnx), new QuantConfig(), List.of(a.get("x"))).quantize();
        assertEquals(3, r.notes().get("layernorms_folded"), onnx + " " + r.notes());
        assertEquals(1, r.notes().get("qattention_blocks"), onnx + " " + r.notes());
        List<Node> in = r.model().graph().nodes().stream().filter(n -> n.opType().equals("InstanceNormalization")).toList();
        assertEquals(3, in.size(), onnx);
        for (Node n : in) assertEquals(5, r.model().graph().initializer(n.input(1)).size(), onnx + " " + n.name());
        Map<String, Integer> ops = io.nnzip.quant.report.OrtFusion.optimizedOpCounts(r.model(), 2);
        assertEquals(1, ops.getOrDefault("QAttention", 0), ops.toString());
        assertTrue(!ops.containsKey("LayerNormalization"), ops.toString());
        float[] torch = a.get("y").floats(), q = TransformerInt8Test.ort(r.model(), a.get("x"));
        double scale = TransformerInt8Test.maxAbs(torch), d = TransformerInt8Test.maxDiff(torch, q);
        assertTrue(d < 0.1 * scale, onnx + " int8 vs PyTorch: " + d + " of " + scale);
    }

    private static float[] randn(Random r, int n, double mean, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (mean + sd * r.nextGaussian());
        return v;
    }
}
