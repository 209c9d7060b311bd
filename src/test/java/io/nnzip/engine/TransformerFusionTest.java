package io.nnzip.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.ops.AttentionOps;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.models.Models;
import io.nnzip.models.TinyCausalLm;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The transformer fusions ({@link TransformerFusion}) on graphs written by PyTorch's exporter and on nnzip's own
 * builders: every block's attention, LayerNorm and GELU pattern is replaced, and the fused engine's logits equal
 * ONNX Runtime's on the original graph (and PyTorch's saved ones) within 1e-4 of their scale.
 */
class TransformerFusionTest {
    private static final Parallel PAR = new Parallel(2);

    private static long count(Model m, Predicate<Node> p) { return m.graph().nodes().stream().filter(p).count(); }

    private static long count(Model m, String type) { return count(m, n -> n.opType().equals(type)); }

    private static void assertSameAsOrt(Model m, Map<String, Tensor> feeds, float[] torch) {
        Model fused = Fusion.forInference(m);
        float[] got = new Executor(fused, PAR).run(feeds).get("logits").floats();
        float[] want;
        try (OrtRunner ort = new OrtRunner(m, 2)) {
            want = ort.run(feeds).get("logits").floats();
        }
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4 * scale, "fused engine vs ONNX Runtime [" + i + "]");
            if (torch != null) assertEquals(torch[i], got[i], 1e-4 * scale, "fused engine vs PyTorch [" + i + "]");
        }
    }

    private static void assertFused(Model m, int blocks, boolean withGelu) { assertFused(m, blocks, withGelu, 0); }

    /**
     * {@code gemmLinear}: biased MatMuls beyond the graph's MatMuls less two per block: linear layers written as Gemm
     * (nn.MultiheadAttention's out-projection), or fewer when separate q, k, v Linears are joined into one.
     */
    private static void assertFused(Model m, int blocks, boolean withGelu, int gemmLinear) {
        Model fused = Fusion.forInference(m);
        assertEquals(blocks, count(fused, AttentionOps.OP), "attention blocks fused");
        assertEquals(0, count(fused, "Softmax") + count(fused, "Split") + count(fused, "Erf") + count(fused, "Sqrt"), "left unfused");
        assertEquals(0, count(fused, n -> n.opType().equals("Transpose") && n.attrInts("perm", new long[0]).length > 3), "5-D head split left");
        // every linear layer's bias (and each MLP's GELU) runs in its MatMul
        assertEquals(count(m, "MatMul") + gemmLinear - 2L * blocks - (m.graph().name().equals("gpt") ? 1 : 0), count(fused, n -> n.has(TransformerFusion.BIAS)), "biased MatMuls");
        if (withGelu) assertEquals(blocks, count(fused, n -> n.has(TransformerFusion.GELU)), "GELU epilogues");
        // the skip connections after attention's projection and after the MLP run in those MatMuls' epilogues
        assertEquals(2L * blocks, count(fused, n -> n.attrInt(TransformerFusion.RESIDUAL, 0) != 0 && n.inputs().size() == 3), "residual epilogues");
    }

    @ParameterizedTest
    @CsvSource({"vit_op13.onnx, vit.npz, 4, 0", "vit_op17.onnx, vit.npz, 4, 0", "vit_tiny_op13.onnx, vit_tiny.npz, 1, 0", "vit_tiny_op17.onnx, vit_tiny.npz, 1, 0",
            // PyTorch 2's scaled_dot_product_attention form (q and kᵀ each scaled by √(1/√d), computed from q's shape)
            "sdpa_tiny_op17.onnx, sdpa_tiny.npz, 1, 0", "cls_tiny_op13.onnx, cls_tiny.npz, 1, 0", "cls_tiny_op17.onnx, cls_tiny.npz, 1, 0",
            // torchvision's VisionTransformer: nn.MultiheadAttention's (T, B·h, d) layout, out-projection as Gemm
            "tv_vit_op13.onnx, tv_vit.npz, 2, 2", "tv_vit_op17.onnx, tv_vit.npz, 2, 2",
            // Hugging Face's layout (scripts/hf-vit.py tiny): the separate q, k, v Linears become one
            "hf_vit_tiny_op17.onnx, hf_vit_tiny.npz, 1, -2"})
    void exportedVitFusesAndMatchesOrtAndPyTorch(String onnx, String npz, int blocks, int gemmLinear) {
        Model m = TorchTransformerTest.model(onnx);
        Map<String, Tensor> a = TorchTransformerTest.arrays(npz);
        assertFused(m, blocks, true, gemmLinear);
        assertSameAsOrt(m, Map.of("input", a.get("x")), a.get("y").floats());
        // a batch big enough to split (batch, head) pairs over both threads
        float[] x = new float[40 * 784];
        Random r = new Random(3);
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        assertSameAsOrt(m, Map.of("input", Tensor.of(x, 40, 1, 28, 28)), null);
    }

    /**
     * Attention whose q, k and v are each viewed and transposed: Hugging Face's separate query/key/value Linears
     * (BERT-style, post-norm), the same with BERT's padding mask ((1 − attention_mask) · float's lowest value added to
     * the scores; padded keys get no weight), and nanoGPT's (one c_attn Linear split on its last axis, masked_fill(tril
     * == 0, −∞) from a buffer sliced to the length; dynamic batch and sequence length); and PyTorch's own
     * nn.TransformerEncoder either way it is built (make_tel_fixture.py). Every block fuses, and the fused engine
     * equals PyTorch and ONNX Runtime.
     */
    @ParameterizedTest
    @CsvSource({"bert_tiny_op13.onnx, bert_tiny.npz, 1", "bert_mask_op13.onnx, bert_mask.npz, 1", "nanogpt_tiny.onnx, nanogpt_tiny.npz, 2",
            // nn.TransformerEncoder (nn.MultiheadAttention): batch_first with norm_first, and the default (T, B, D) post-norm
            "tel_bf_nf.onnx, tel_bf_nf.npz, 2", "tel_tf_post.onnx, tel_tf_post.npz, 2"})
    void otherAttentionExportsFuseAndMatchOrtAndPyTorch(String onnx, String npz, int blocks) {
        Model m = TorchTransformerTest.model(onnx);
        Map<String, Tensor> a = TorchTransformerTest.arrays(npz);
        Model fused = Fusion.forInference(m);
        assertEquals(blocks, count(fused, AttentionOps.OP), "attention fused");
        assertEquals(0, count(fused, "Softmax") + count(fused, "Split") + count(fused, "Erf"), "left unfused");
        List<io.nnzip.ir.ValueInfo> inputs = m.graph().runtimeInputs();
        Map<String, Tensor> feeds = inputs.size() == 1 ? Map.of(inputs.get(0).name(), a.get("x")) : Map.of(inputs.get(0).name(), a.get("x"), inputs.get(1).name(), a.get("mask"));
        assertSameAsOrt(m, feeds, a.get("y").floats());
    }

    /**
     * Exports with a dynamic sequence length, run shorter than traced: nanoGPT's (its mask sliced to the length at run
     * time) and nn.TransformerEncoder's (T, B, D) one (its heads' Reshapes computed from the length).
     */
    @org.junit.jupiter.api.Test
    void dynamicLengthExportsRunFusedAtAnotherLength() {
        long[] ids = new long[2 * 5];
        Random r = new Random(4);
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(16);
        assertSameAsOrt(TorchTransformerTest.model("nanogpt_tiny.onnx"), Map.of("ids", new Tensor(DType.INT64, new int[] {2, 5}, ids)), null);
        float[] x = new float[2 * 4 * 32];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Model tel = TorchTransformerTest.model("tel_tf_post.onnx");
        assertEquals(2, count(Fusion.forInference(tel), AttentionOps.OP), "attention fused at a dynamic length");
        assertSameAsOrt(tel, Map.of("input", Tensor.of(x, 2, 4, 32)), null);
    }

    @org.junit.jupiter.api.Test
    void exportedCausalLmFusesWithItsMask() {
        Model m = TorchTransformerTest.model("gpt_tiny.onnx");
        Map<String, Tensor> a = TorchTransformerTest.arrays("gpt_tiny.npz");
        assertEquals(2, count(Fusion.forInference(m), AttentionOps.OP));
        assertSameAsOrt(m, Map.of("ids", a.get("x")), a.get("y").floats());
    }

    @ParameterizedTest
    @ValueSource(ints = {13, 17})
    void builtModelsFuseAndMatchOrt(int opset) {
        Model vit = Models.create("vit", 1f, 10, 5);
        float[] x = new float[3 * 784];
        Random r = new Random(opset);
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        assertFused(vit, 4, true);
        assertSameAsOrt(vit, Map.of("input", Tensor.of(x, 3, 1, 28, 28)), null);
        Model lm = TinyCausalLm.build(16, 6, 16, 2, 2, opset, 7);
        assertFused(lm, 2, true);
        long[] ids = new long[2 * 6];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(16);
        assertSameAsOrt(lm, Map.of("ids", new Tensor(DType.INT64, new int[] {2, 6}, ids)), null);
    }

    /**
     * Linear → + b → + skip: the skip joins the MatMul's epilogue when it has the output's shape, and is still added
     * (by the Add kernel, broadcasting) when it does not; both equal ONNX Runtime on the unfused graph.
     */
    @ParameterizedTest
    @ValueSource(strings = {"3,5,6", "1,5,6", "6"})
    void residualEpilogueMatchesOrt(String skipShape) {
        long[] rs = java.util.Arrays.stream(skipShape.split(",")).mapToLong(Long::parseLong).toArray();
        io.nnzip.ir.Graph g = new io.nnzip.ir.Graph("residual");
        g.inputs().add(io.nnzip.ir.ValueInfo.of("x", DType.FLOAT, 3, 5, 4));
        g.inputs().add(io.nnzip.ir.ValueInfo.of("r", DType.FLOAT, rs));
        g.outputs().add(io.nnzip.ir.ValueInfo.of("logits", DType.FLOAT, 3, 5, 6));
        Random rnd = new Random(11);
        float[] w = new float[24], b = new float[6];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        g.initializers().put("W", Tensor.of(w, 4, 6));
        g.initializers().put("b", Tensor.of(b, 6));
        g.nodes().add(new Node("mm", "MatMul", java.util.List.of("x", "W"), java.util.List.of("xw")));
        g.nodes().add(new Node("bias", "Add", java.util.List.of("xw", "b"), java.util.List.of("h")));
        g.nodes().add(new Node("skip", "Add", java.util.List.of("r", "h"), java.util.List.of("logits")));
        Model m = new Model(g);
        assertEquals(1, count(Fusion.forInference(m), n -> n.attrInt(TransformerFusion.RESIDUAL, 0) != 0), "fused");
        assertEquals(0, count(Fusion.forInference(m), "Add"), "no Add left");
        int rn = 1;
        for (long d : rs) rn *= (int) d;
        float[] x = new float[60], r = new float[rn];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat();
        for (int i = 0; i < r.length; i++) r[i] = rnd.nextFloat();
        int[] ri = java.util.Arrays.stream(rs).mapToInt(d -> (int) d).toArray();
        assertSameAsOrt(m, Map.of("x", Tensor.of(x, 3, 5, 4), "r", Tensor.of(r, ri)), null);
    }
}
