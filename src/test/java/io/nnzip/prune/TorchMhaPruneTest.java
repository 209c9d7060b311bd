package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.prune.criteria.WeightNormCriterion;
import io.nnzip.prune.dep.PruneForm;
import io.nnzip.prune.report.LayerCosts;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Structured pruning of torchvision's VisionTransformer as PyTorch exports it (make_tv_fixture.py): its
 * nn.MultiheadAttention keeps the heads in the batch axis, (T,B,D) → in_proj → Split → Reshape (T, B·H, d), and
 * projects out with a Gemm (transB). Half the heads (1 of 2 per layer) and half the MLP neurons must go. Reference,
 * independent of the surgery, run by ONNX Runtime: the original with the removed heads' input columns of out_proj and
 * the removed neurons' rows of fc2 set to zero. MACs counted by hand.
 */
class TorchMhaPruneTest {
    static final Path DIR = Path.of("src/test/resources/transformers");

    @ParameterizedTest
    @ValueSource(strings = {"tv_vit_op13.onnx", "tv_vit_op17.onnx"})
    void halfTheHeadsAndNeuronsGo(String onnx) {
        Model m = OnnxReader.read(DIR.resolve(onnx));
        check(m, StructuredPruner.prune(m, new WeightNormCriterion(1), 0.5, "layer", null, 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mean-activation", "taylor"})
    void dataDrivenCriteriaScoreAHeadAsOneGroup(String method) {
        Model m = OnnxReader.read(DIR.resolve("tv_vit_op17.onnx"));
        Tensor x = Npy.readNpz(DIR.resolve("tv_vit.npz")).get("x"); // 8 images; made-up labels for taylor
        List<io.nnzip.data.Batch> labelled = List.of(new io.nnzip.data.Batch(x, new int[] {0, 1, 2, 3, 4, 5, 6, 7}));
        check(m, StructuredPruner.prune(m, io.nnzip.prune.criteria.Criteria.of(method, 1, List.of(Map.of("input", x)), labelled), 0.5, "layer", null, 1));
    }

    private static void check(Model m, StructuredPruner.Result r) {
        // per image: conv 16·196·4 + head 16·10; per layer, T = 5 tokens, H heads of 8, F hidden:
        // in_proj 5·16·3·8H, scores and ·v 2·H·5·5·8, out_proj 5·8H·16, fc1 + fc2 2·5·16·F
        long fixed = 16L * 196 * 4 + 160;
        Model c = m.copy();
        PruneForm.apply(c);
        assertEquals(fixed + 2 * layer(2, 32), LayerCosts.totalMacs(c, 1));
        assertEquals(fixed + 2 * layer(1, 16), LayerCosts.totalMacs(r.model(), 1));
        int gemms = 0;
        for (Node n : r.model().graph().nodes())
            if (n.opType().equals("Gemm") && n.input(1).contains("out_proj")) {
                assertEquals("[16, 8]", java.util.Arrays.toString(r.model().graph().initializer(n.input(1)).shape()));
                gemms++;
            }
        assertEquals(2, gemms);
        Map<String, Tensor> feeds = Map.of("input", Npy.readNpz(DIR.resolve("tv_vit.npz")).get("x"));
        Tensor want = ort(zeroed(m, r), feeds), got = ort(r.model(), feeds);
        PruneAsserts.close(want, got, 1e-4, "pruned vs original with the removed heads and neurons zeroed");
    }

    private static long layer(int heads, int hidden) {
        return 5L * 16 * 3 * 8 * heads + 2L * heads * 5 * 5 * 8 + 5L * 8 * heads * 16 + 2L * 5 * 16 * hidden;
    }

    /** The original (pruning form) with out_proj's removed input columns (Gemm, transB) and fc2's removed rows zeroed. */
    private static Model zeroed(Model original, StructuredPruner.Result r) {
        Model z = original.copy();
        PruneForm.apply(z);
        int heads = 0, rows = 0;
        for (Node n : z.graph().nodes()) {
            String w = n.input(n.opType().equals("Gemm") || n.opType().equals("MatMul") ? 1 : 0);
            Tensor t = z.graph().initializer(w);
            if (t == null || t.rank() != 2) continue;
            boolean transB = n.opType().equals("Gemm") && n.attrInt("transB", 0) != 0;
            int[] removed = r.plan().removedTensors.get(w + (transB ? "@1" : "@0"));
            if (removed == null) continue;
            float[] d = t.floats().clone();
            int cols = t.dim(1);
            for (int k : removed)
                if (transB) for (int i = 0; i < t.dim(0); i++) d[i * cols + k] = 0f;
                else java.util.Arrays.fill(d, k * cols, (k + 1) * cols, 0f);
            z.graph().initializers().put(w, Tensor.of(d, t.shape()));
            if (transB) heads += removed.length / 8;
            else rows += removed.length;
        }
        assertEquals(2, heads, "one head of 8 features zeroed in each layer's out_proj");
        assertTrue(rows == 32, "16 neurons zeroed in each layer's fc2: " + rows);
        return z;
    }

    private static Tensor ort(Model m, Map<String, Tensor> feeds) {
        try (OrtRunner r = OrtRunner.exposing(m, List.of(), 2)) {
            return r.run(feeds).get("logits");
        }
    }
}
