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
import io.nnzip.quant.prep.QAttentionFusion;
import io.nnzip.quant.report.OrtFusion;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * com.microsoft QAttention in the int8 transformer placement: nnzip's engine computes what ONNX Runtime computes
 * (a random small node, and the fused ViTs), the fused ViT's logits stay at the unfused int8 file's and near
 * PyTorch's, and blocks the fusion does not recognise are left as they were.
 */
class QAttentionTest {
    static final java.nio.file.Path DIR = TransformerInt8Test.DIR;

    /**
     * x (float) → QuantizeLinear (u8) → QAttention, with per-column or per-tensor weight scales and a K ≠ C input;
     * "scaled": a score scale attribute (0.3, not 1/√3) as another writer may set it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"per-column", "per-tensor", "scaled"})
    void engineMatchesOrtOnARandomNode(String scales) {
        int b = 3, s = 7, k = 8, c = 6, heads = 2;
        Random rnd = new Random(5);
        Graph g = new Graph("qattention");
        g.inputs().add(ValueInfo.of("x", DType.FLOAT, b, s, k));
        g.outputs().add(ValueInfo.of("y", DType.FLOAT, b, s, c));
        byte[] w = new byte[k * 3 * c];
        for (int i = 0; i < w.length; i++) w[i] = (byte) (rnd.nextInt(255) - 127);
        float[] bias = new float[3 * c], ws = new float[scales.equals("per-column") ? 3 * c : 1];
        for (int i = 0; i < bias.length; i++) bias[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < ws.length; i++) ws[i] = 0.002f + 0.01f * rnd.nextFloat();
        g.initializers().put("w", new Tensor(DType.INT8, new int[] {k, 3 * c}, w));
        g.initializers().put("b", Tensor.of(bias, 3 * c));
        g.initializers().put("ws", scales.equals("per-column") ? Tensor.of(ws, 3 * c) : Tensor.of(ws));
        g.initializers().put("xs", Tensor.of(new float[] {2f / 255}));
        g.initializers().put("xz", new Tensor(DType.UINT8, new int[0], new byte[] {(byte) 120}));
        g.nodes().add(new Node("q", "QuantizeLinear", List.of("x", "xs", "xz"), List.of("xq")));
        Node qa = new Node("qa", "QAttention", QAttentionFusion.DOMAIN, List.of("xq", "w", "b", "xs", "ws", "", "xz"), List.of("y"))
                .set(Attribute.of("num_heads", (long) heads));
        if (scales.equals("scaled")) qa.set(Attribute.of("scale", 0.3f));
        g.nodes().add(qa);
        Model m = new Model(g);
        m.opsets().put("", 17L);
        m.opsets().put(QAttentionFusion.DOMAIN, 1L);
        float[] x = new float[b * s * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 0.7);
        Tensor xt = Tensor.of(x, b, s, k);
        float[] want;
        try (OrtRunner r = new OrtRunner(m, 2)) {
            want = r.run(Map.of("x", xt)).get("y").floats();
        }
        float[] got = new Executor(m, new Parallel(2)).run(Map.of("x", xt)).get("y").floats();
        assertEquals(want.length, got.length);
        double tol = 1e-5 * TransformerInt8Test.maxAbs(want) + 1e-6;
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], tol, scales + " [" + i + "]");
    }

    static StaticInt8Quantizer.Result quantize(String onnx, boolean qattention, boolean symmetric) {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        QuantConfig cfg = new QuantConfig();
        cfg.qattention = qattention;
        cfg.symmetric = symmetric;
        cfg.tanhGelu = "off"; // the exact GELU on both sides: these tests are about the attention
        return new StaticInt8Quantizer(TransformerInt8Test.canonical(onnx), cfg, List.of(a.get("x"))).quantize();
    }

    /**
     * Each of the 4 blocks becomes one QAttention (ORT's optimized graph: 13 QGemm = proj, fc1, fc2 per block and the
     * head; no Softmax or attention MatMul left); its logits equal the unfused int8 file's up to rounding (the
     * same integer weights), stay near PyTorch's, and nnzip's engine computes ORT's.
     */
    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void fusedVitKeepsTheLogits(String onnx) {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        StaticInt8Quantizer.Result fused = quantize(onnx, true, false), plain = quantize(onnx, false, false);
        assertEquals(4, fused.notes().get("qattention_blocks"));
        // the MAC count (nnzip info) is the replaced Gemms' and MatMuls'
        assertEquals(io.nnzip.eval.ModelStats.of(plain.model()).macs, io.nnzip.eval.ModelStats.of(fused.model()).macs);
        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(fused.model(), 2);
        assertEquals(4, ops.getOrDefault("QAttention", 0), ops.toString());
        assertEquals(13, ops.getOrDefault("QGemm", 0), ops.toString());
        assertTrue(!ops.containsKey("Softmax") && !ops.containsKey("FusedMatMul") && !ops.containsKey("MatMul"), ops.toString());
        float[] want = a.get("y").floats(), got = TransformerInt8Test.ort(fused.model(), a.get("x")), ref = TransformerInt8Test.ort(plain.model(), a.get("x"));
        float[] engine = new Executor(fused.model(), new Parallel(2)).run(Map.of("input", a.get("x"))).get("logits").floats();
        double scale = TransformerInt8Test.maxAbs(want), vsTorch = 0, vsPlain = 0, vsEngine = 0;
        int agree = 0;
        for (int i = 0; i < want.length; i++) {
            vsTorch = Math.max(vsTorch, Math.abs(want[i] - got[i]));
            vsPlain = Math.max(vsPlain, Math.abs(ref[i] - got[i]));
            vsEngine = Math.max(vsEngine, Math.abs(engine[i] - got[i]));
        }
        for (int s = 0; s < 8; s++) agree += TransformerInt8Test.argmax(want, s * 10) == TransformerInt8Test.argmax(got, s * 10) ? 1 : 0;
        assertTrue(vsTorch < 0.1 * scale, "fused int8 logits off PyTorch's by " + vsTorch + " of " + scale);
        assertTrue(agree >= 7, agree + "/8 top-1 agree with PyTorch");
        assertTrue(vsPlain < 0.02 * scale, "fused vs unfused int8 file: " + vsPlain + " of " + scale);
        assertTrue(vsEngine < 0.01 * scale, "engine vs ORT on the fused file: " + vsEngine + " of " + scale);
    }

    /**
     * The command: QAttention by default, none with --no-qattention; FastGelu by default where the fixture's GELU
     * outputs are quantized (steps 0.0126–0.0140, over 16 × 4.8e-4), none with --no-tanh-gelu; the provenance records
     * the settings and the counts under their own names.
     */
    @Test
    void commandOptionsAndProvenance(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/share/datasets/fashion-mnist")), "needs fashion-mnist");
        String[][] variants = {{}, {"--no-qattention"}, {"--no-tanh-gelu"}, {"--tanh-gelu"}};
        String[] tanh = {"auto", "auto", "off", "on"};
        for (int v = 0; v < variants.length; v++) {
            java.nio.file.Path out = dir.resolve("q" + v + ".onnx");
            List<String> args = new java.util.ArrayList<>(List.of("quantize", DIR.resolve("vit_op17.onnx").toString(), "--scheme", "int8", "--data", "fashion-mnist",
                    "--calib-images", "32", "--eval-size", "32", "--latency-batch", "0", "--json", "-o", out.toString()));
            args.addAll(List.of(variants[v]));
            assertEquals(0, io.nnzip.cli.Main.run(args.toArray(String[]::new)), String.join(" ", args));
            Model q = io.nnzip.onnx.OnnxReader.read(out);
            long qa = q.graph().nodes().stream().filter(n -> n.opType().equals("QAttention")).count();
            long fg = q.graph().nodes().stream().filter(n -> n.opType().equals("FastGelu")).count();
            String rec = q.metadata().get("nnzip.quantize");
            assertEquals(v == 1 ? 0 : 4, qa, List.of(variants[v]).toString());
            assertEquals(v == 2 ? 0 : 4, fg, List.of(variants[v]).toString());
            assertTrue(rec.contains("\"qattention\":" + (v != 1)) && rec.contains("\"tanh_gelu\":\"" + tanh[v] + "\""), rec);
            assertTrue(rec.contains("\"qattention_blocks\":4") == (v != 1), rec);
        }
    }

    /**
     * Other exports: the 1-block ViT with 4 tokens and 2 heads of 8 and the BERT-style encoder (separate q/k/v
     * Linears, dynamic batch: the projections' shapes are also read by Shape nodes, k transposed (0,2,3,1) at once)
     * fuse their block, as does the timm-style class-token ViT (5 tokens: the class token concatenated in front) and
     * the ViT whose attention is written as PyTorch 2 exports scaled_dot_product_attention (q and kᵀ each times
     * √(1/√d), computed from q's shape; make_sdpa_fixture.py), and the Hugging Face-layout ViT (scripts/hf-vit.py
     * tiny: separate Linears, the merged heads' shape also read for the Reshape's target),
     * with ORT's logits at the unfused file's and the engine at ORT's; the causal LM, whose scores
     * pass a Where mask before the Softmax, keeps its 2 blocks unfused.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"vit_tiny_op13.onnx, vit_tiny.npz, 1", "vit_tiny_op17.onnx, vit_tiny.npz, 1",
            "gpt_tiny.onnx, gpt_tiny.npz, 0", "bert_tiny_op13.onnx, bert_tiny.npz, 1", "cls_tiny_op13.onnx, cls_tiny.npz, 1",
            "cls_tiny_op17.onnx, cls_tiny.npz, 1", "sdpa_tiny_op17.onnx, sdpa_tiny.npz, 1", "hf_vit_tiny_op17.onnx, hf_vit_tiny.npz, 1"})
    void otherExports(String onnx, String npz, int blocks) {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve(npz));
        Model m = TransformerInt8Test.canonical(onnx);
        String in = m.graph().runtimeInputs().get(0).name(), out = m.graph().outputNames().get(0);
        QuantConfig cfg = new QuantConfig();
        cfg.int8Ops = "linear";
        StaticInt8Quantizer.Result fused = new StaticInt8Quantizer(m, cfg, List.of(a.get("x"))).quantize();
        cfg.qattention = false;
        StaticInt8Quantizer.Result plain = new StaticInt8Quantizer(m, cfg, List.of(a.get("x"))).quantize();
        assertEquals(blocks, fused.notes().get("qattention_blocks"), onnx);
        // the fused blocks' Q/K/V Gemms are gone (nothing outside the block kept them alive)
        assertEquals(gemms(plain.model()) - 3 * blocks, gemms(fused.model()), onnx);
        float[] want, got;
        try (OrtRunner r = new OrtRunner(plain.model(), 2); OrtRunner f = new OrtRunner(fused.model(), 2)) {
            want = r.run(Map.of(in, a.get("x"))).get(out).floats();
            got = f.run(Map.of(in, a.get("x"))).get(out).floats();
        }
        float[] engine = new Executor(fused.model(), new Parallel(2)).run(Map.of(in, a.get("x"))).get(out).floats();
        double scale = TransformerInt8Test.maxAbs(want), d = 0, e = 0;
        for (int i = 0; i < want.length; i++) {
            d = Math.max(d, Math.abs(want[i] - got[i]));
            e = Math.max(e, Math.abs(engine[i] - got[i]));
        }
        assertTrue(d < 0.02 * scale, onnx + " fused vs unfused: " + d + " of " + scale);
        assertTrue(e < 0.01 * scale, onnx + " engine vs ORT: " + e + " of " + scale);
    }

    /** Per-tensor weight scales (--no-per-channel): each of q, k, v keeps its own scale, spread over its columns. */
    @Test
    void perTensorWeightsFuseToo() {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        QuantConfig cfg = new QuantConfig();
        cfg.perChannel = false;
        StaticInt8Quantizer.Result fused = new StaticInt8Quantizer(TransformerInt8Test.canonical("vit_op17.onnx"), cfg, List.of(a.get("x"))).quantize();
        cfg.qattention = false;
        StaticInt8Quantizer.Result plain = new StaticInt8Quantizer(TransformerInt8Test.canonical("vit_op17.onnx"), cfg, List.of(a.get("x"))).quantize();
        assertEquals(4, fused.notes().get("qattention_blocks"));
        float[] want = TransformerInt8Test.ort(plain.model(), a.get("x")), got = TransformerInt8Test.ort(fused.model(), a.get("x"));
        double scale = TransformerInt8Test.maxAbs(want), d = 0;
        for (int i = 0; i < want.length; i++) d = Math.max(d, Math.abs(want[i] - got[i]));
        assertTrue(d < 0.02 * scale, "per-tensor fused vs unfused: " + d + " of " + scale);
    }

    static long gemms(Model m) { return m.graph().nodes().stream().filter(n -> n.opType().equals("Gemm")).count(); }

    /** com.microsoft FastGelu with and without its bias: nnzip's engine computes what ORT computes. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void fastGeluMatchesOrt(boolean bias) {
        Random rnd = new Random(9);
        Graph g = new Graph("fastgelu");
        g.inputs().add(ValueInfo.of("x", DType.FLOAT, 4, 3, 10));
        g.outputs().add(ValueInfo.of("y", DType.FLOAT, 4, 3, 10));
        float[] b = new float[10], x = new float[120];
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) (3 * rnd.nextGaussian());
        g.initializers().put("b", Tensor.of(b, 10));
        g.nodes().add(new Node("g", "FastGelu", QAttentionFusion.DOMAIN, bias ? List.of("x", "b") : List.of("x"), List.of("y")));
        Model m = new Model(g);
        m.opsets().put(QAttentionFusion.DOMAIN, 1L);
        Tensor xt = Tensor.of(x, 4, 3, 10);
        float[] want;
        try (OrtRunner r = new OrtRunner(m, 2)) {
            want = r.run(Map.of("x", xt)).get("y").floats();
        }
        float[] got = new Executor(m, new Parallel(2)).run(Map.of("x", xt)).get("y").floats();
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5 * (1 + Math.abs(want[i])), "[" + i + "]");
    }

    /**
     * --tanh-gelu: the 4 erf GELUs become FastGelu (ORT's graph keeps no Erf or Gelu), the logits move by little
     * against the exact-GELU int8 file, and nnzip's engine computes ORT's.
     */
    @Test
    void tanhGeluReplacesEveryGelu() {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        QuantConfig cfg = new QuantConfig();
        cfg.tanhGelu = "on";
        StaticInt8Quantizer.Result r = new StaticInt8Quantizer(TransformerInt8Test.canonical("vit_op13.onnx"), cfg, List.of(a.get("x"))).quantize();
        assertEquals(4, r.notes().get("fast_gelu_nodes"));
        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(r.model(), 2);
        assertEquals(4, ops.getOrDefault("FastGelu", 0), ops.toString());
        assertTrue(!ops.containsKey("Erf") && !ops.containsKey("Gelu"), ops.toString());
        float[] exact = TransformerInt8Test.ort(quantize("vit_op13.onnx", true, false).model(), a.get("x")), got = TransformerInt8Test.ort(r.model(), a.get("x"));
        float[] engine = new Executor(r.model(), new Parallel(2)).run(Map.of("input", a.get("x"))).get("logits").floats();
        double scale = TransformerInt8Test.maxAbs(exact), d = 0, e = 0;
        for (int i = 0; i < exact.length; i++) {
            d = Math.max(d, Math.abs(exact[i] - got[i]));
            e = Math.max(e, Math.abs(engine[i] - got[i]));
        }
        assertTrue(d > 0 && d < 0.03 * scale, "tanh vs erf GELU int8 files: " + d + " of " + scale);
        assertTrue(e < 0.01 * scale, "engine vs ORT: " + e + " of " + scale);
    }

    /**
     * The default (auto) replaces a GELU only where its output's quantization step is ≥ 16 × 4.8e-4 = 7.68e-3: with
     * one block's step set to 7.0e-3 that block keeps the exact GELU, at 8.0e-3 it is replaced; "on" replaces all.
     */
    @Test
    void autoTanhGeluFollowsTheStep() {
        for (float step : new float[] {7.0e-3f, 8.0e-3f}) {
            Model m = quantize("vit_op13.onnx", true, false).model();
            Graph g = m.graph();
            Node erf = g.nodes().stream().filter(n -> n.opType().equals("Erf")).findFirst().orElseThrow();
            String x = erf.output(0);
            for (int i = 0; i < 3; i++) x = g.consumers().get(x).get(0).output(0); // Add 1, Mul x, Mul 0.5
            Node q = g.consumers().get(x).get(0);
            while (!q.opType().equals("QuantizeLinear")) q = g.consumers().get(q.output(0)).get(0);
            String name = g.freshName("gelu_step");
            g.initializers().put(name, Tensor.of(new float[] {step}));
            q.inputs().set(1, name);
            Model all = m.copy();
            assertEquals(step < 7.68e-3f ? 3 : 4, io.nnzip.quant.prep.TanhGelu.rewrite(m, true), "step " + step);
            assertEquals(4, io.nnzip.quant.prep.TanhGelu.rewrite(all, false), "step " + step);
        }
    }

    /** A score scale other than QAttention's 1/√d (here 0.6/√d in every block) goes into the q columns: same logits. */
    @Test
    void anotherScoreScaleIsFoldedIntoQ() {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        Model plain = quantize("vit_op13.onnx", false, false).model();
        Graph g = plain.graph();
        int changed = 0;
        for (Node sm : g.nodes().stream().filter(n -> n.opType().equals("Softmax")).toList()) {
            Node mul = g.producers().get(sm.input(0));
            int c = g.producers().get(mul.input(0)) != null && g.producers().get(mul.input(0)).opType().equals("MatMul") ? 1 : 0;
            float v = io.nnzip.engine.ConstantValue.of(g, mul.input(c), g.producers(), plain.opset()).toFloats()[0];
            assertEquals(0.25f, v, 1e-6f, "the fixture's 1/√16");
            String name = g.freshName("scaled_" + changed++);
            g.initializers().put(name, Tensor.of(new float[] {0.6f * v}));
            mul.inputs().set(c, name);
        }
        assertEquals(4, changed);
        float[] ref = TransformerInt8Test.ort(plain, a.get("x"));
        Model m = plain.copy();
        assertEquals(4, QAttentionFusion.rewrite(m));
        float[] got = TransformerInt8Test.ort(m, a.get("x")), engine = new Executor(m, new Parallel(2)).run(Map.of("input", a.get("x"))).get("logits").floats();
        double scale = TransformerInt8Test.maxAbs(ref), d = 0, e = 0;
        for (int i = 0; i < ref.length; i++) {
            d = Math.max(d, Math.abs(ref[i] - got[i]));
            e = Math.max(e, Math.abs(engine[i] - got[i]));
        }
        assertTrue(d < 0.02 * scale, "fused with the scale folded vs unfused: " + d + " of " + scale);
        assertTrue(e < 0.01 * scale, "engine vs ORT: " + e + " of " + scale);
    }

    /**
     * A mask added to the scores, or a q head tensor read outside its block, leaves that block unfused (its Softmax
     * stays) while the others fuse, and the file is still the same function; int8 (symmetric) activations, which
     * ORT's CPU QAttention does not take, leave every block unfused.
     */
    @Test
    void unrecognisedBlocksStayUnfused() {
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        Model plain = quantize("vit_op17.onnx", false, false).model();
        float[] ref = TransformerInt8Test.ort(plain, a.get("x"));
        Model m = plain.copy();
        Graph g = m.graph();
        List<Node> softmax = g.nodes().stream().filter(n -> n.opType().equals("Softmax")).toList();
        assertEquals(4, softmax.size());
        // block 0: scores + a (zero) mask before the Softmax
        Node sm0 = softmax.get(0);
        String masked = g.freshName("masked_scores");
        g.initializers().put("zero_mask", Tensor.of(new float[16 * 16], 16, 16));
        g.nodes().add(g.nodes().indexOf(sm0), new Node("mask", "Add", List.of(sm0.input(0), "zero_mask"), List.of(masked)));
        sm0.inputs().set(0, masked);
        // block 2: the q heads are also a graph output
        Node qk2 = g.producers().get(g.producers().get(softmax.get(2).input(0)).input(0));
        String qHeads = qk2.input(0);
        g.outputs().add(ValueInfo.of(qHeads, DType.FLOAT, -1, 4, 16, 16));
        assertEquals(2, QAttentionFusion.rewrite(m));
        assertEquals(2, m.graph().nodes().stream().filter(n -> n.opType().equals("Softmax")).count());
        assertEquals(2, m.graph().nodes().stream().filter(n -> n.opType().equals("QAttention")).count());
        assertTrue(m.graph().producers().containsKey(qHeads), "block 2's q heads are still computed");
        float[] got = TransformerInt8Test.ort(m, a.get("x"));
        double scale = TransformerInt8Test.maxAbs(ref), d = 0;
        for (int i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ref[i] - got[i]));
        assertTrue(d < 0.02 * scale, "partly fused vs unfused: " + d + " of " + scale);

        StaticInt8Quantizer.Result sym = quantize("vit_op17.onnx", true, true);
        assertEquals(0, sym.notes().get("qattention_blocks"));
        assertEquals(4, sym.model().graph().nodes().stream().filter(n -> n.opType().equals("Softmax")).count());
    }
}
