package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prune --nm} on torchvision's ViT export: the patch-embedding Conv stays dense unless --layer-amounts puts
 * the pattern on it; every other linear weight keeps exactly half of its values (counted by hand from the file).
 */
class NmStemTest {
    static final Path VIT = Path.of("src/test/resources/transformers/tv_vit_op17.onnx");
    static final String STEM = "conv_proj.weight";
    static final List<String> LINEAR = List.of("onnx::MatMul_317", "onnx::MatMul_318", "onnx::MatMul_319", "heads.head.weight",
            "encoder.layers.encoder_layer_0.self_attention.out_proj.weight");

    static long zeros(Tensor t) {
        long z = 0;
        for (float v : t.toFloats()) if (v == 0f) z++;
        return z;
    }

    @Test
    void stemStaysDenseByDefaultAndTakesThePatternWhenAsked(@TempDir Path dir) {
        Model in = OnnxReader.read(VIT);
        Path dflt = dir.resolve("d.onnx"), all = dir.resolve("a.onnx");
        PruneCliTest.Outcome o = PruneCliTest.run("prune", VIT.toString(), "--nm", "2:4", "-o", dflt.toString(), "--latency-batch", "0", "--json");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("stays dense"), o.out());
        Model d = OnnxReader.read(dflt);
        assertArrayEquals(in.graph().initializer(STEM).toFloats(), d.graph().initializer(STEM).toFloats(), "stem untouched");
        for (String w : LINEAR) assertEquals(d.graph().initializer(w).size() / 2, zeros(d.graph().initializer(w)), w);

        o = PruneCliTest.run("prune", VIT.toString(), "--nm", "2:4", "--layer-amounts", "first=0.5", "-o", all.toString(), "--latency-batch", "0", "--json");
        assertEquals(0, o.code(), o.err());
        Tensor stem = OnnxReader.read(all).graph().initializer(STEM);
        assertEquals(stem.size() / 2, zeros(stem), "2:4 on the stem's 196 inputs per filter");

        o = PruneCliTest.run("prune", VIT.toString(), "--nm", "2:4", "--layer-amounts", "first=0.3", "-o", dir.resolve("x.onnx").toString(), "--json");
        assertNotEquals(0, o.code());
        assertTrue(o.err().contains("takes 0 (keep that layer dense) or 0.5"), o.err());
    }

    @Test
    void oneShotReconstructionCalibratesOnSixteenBatchesUnlessTold() {
        assertEquals(16, new PruneConfig("nm", "sparsegpt", null, 0.5, "2:4", null, 0, 1, null, 0.5, 0, 8, null).calibBatches());
        assertEquals(16, new PruneConfig(null, "wanda", null, 0.5, null, null, 0, 1, null, 0.5, 0, 8, null).calibBatches());
        assertEquals(4, new PruneConfig("nm", "magnitude", null, 0.5, "2:4", null, 0, 1, null, 0.5, 0, 8, null).calibBatches());
        assertEquals(5, new PruneConfig("nm", "sparsegpt", null, 0.5, "2:4", null, 0, 1, null, 0.5, 5, 8, null).calibBatches());
    }
}
