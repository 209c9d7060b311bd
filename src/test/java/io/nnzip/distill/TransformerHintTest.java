package io.nnzip.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * FitNets hints between transformers: a (B,T,C) hidden state of the PyTorch-exported ViT is regressed onto the
 * teacher's through a MatMul over C; ONNX Runtime runs the training graph, the prediction equals the student's hidden
 * state times the regressor computed here, and strip() gives back the student's own graph.
 */
class TransformerHintTest {
    static final Path DIR = Path.of("src/test/resources/transformers");

    @Test
    void hiddenStatesAreMatchedThroughAMatMul() {
        Model teacher = OnnxReader.read(DIR.resolve("vit_op17.onnx"));
        Model student = OnnxReader.read(DIR.resolve("vit_tiny_op17.onnx")); // 16 wide, 4 tokens (14×14 patches)
        io.nnzip.engine.Canonical.apply(student);
        io.nnzip.engine.Canonical.apply(teacher);
        String sv = student.graph().nodes().stream().filter(n -> n.opType().equals("Add") && n.output(0).contains("blocks.0/Add_1")).findFirst().orElseThrow().output(0);
        // token counts differ (16 vs 4): a hint between them is refused with the shapes named
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.nnzip.ir.NnzipException.class,
                () -> HintGraph.build(student, teacher, List.of(new DistillConfig.Hint("/blocks.3/Add_1_output_0", sv)), 1));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("(B,T,C)"), e.getMessage());
        // the teacher as its own student's shape donor: equal token counts
        HintGraph h = HintGraph.build(teacher, teacher, List.of(new DistillConfig.Hint("/blocks.3/Add_1_output_0", "/blocks.1/Add_1_output_0")), 1);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        String pred = h.predictions.getFirst();
        Map<String, Tensor> out;
        try (OrtRunner r = OrtRunner.exposing(h.training, List.of(pred, "/blocks.1/Add_1_output_0"), 2)) {
            out = r.run(Map.of("input", a.get("x")));
        }
        Tensor x = out.get("/blocks.1/Add_1_output_0"), p = out.get(pred);
        assertArrayEquals(new int[] {8, 16, 64}, p.shape());
        String wName = h.training.graph().nodes().stream().filter(n -> n.output(0).equals(pred)).findFirst().orElseThrow().input(1);
        float[] w = h.training.graph().initializer(wName).floats(), xv = x.floats();
        for (int row : new int[] {0, 77, 127}) {
            double want = 0;
            for (int c = 0; c < 64; c++) want += xv[row * 64 + c] * w[c * 64 + 5];
            assertEquals(want, p.floats()[row * 64 + 5], 1e-4 * Math.max(1, Math.abs(want)));
        }
        assertEquals(teacher.graph().nodes().size(), h.strip(h.training).graph().nodes().size());
    }
}
