package io.nnzip.quant.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.Scheme;
import io.nnzip.quant.WeightSchemes;
import io.nnzip.quant.weight.TableQuantizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * int4 weight-only leaves tables no linear layer reads float unless {@code tables} is int8: then each is int8 with
 * max|column|/127 per feature (per row for a Gather's table), which ONNX Runtime dequantizes to within half a step.
 */
class TableQuantizerTest {
    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void positionTableIsInt8PerFeatureAndTheModelKeepsItsOutputs(String onnx) {
        Model m = TransformerInt8Test.canonical(onnx);
        float[] pos = m.graph().initializer("pos").toFloats(); // (1, 16, 64): 16 positions × 64 features
        Map<String, Tensor> a = Npy.readNpz(TransformerInt8Test.DIR.resolve("vit.npz"));
        QuantConfig cfg = new QuantConfig();
        cfg.scheme = "int4";
        cfg.weightOnly = true;
        cfg.tables = "float";
        Model floatTables = WeightSchemes.apply(m, Scheme.parse("int4"), cfg, null, null, List.of(), s -> { }).model();
        cfg.tables = "int8";
        WeightSchemes.Applied q = WeightSchemes.apply(m, Scheme.parse("int4"), cfg, null, null, List.of(), s -> { });
        assertEquals(List.of("pos"), q.notes().get("int8_tables"));
        Node dq = q.model().graph().nodes().stream().filter(n -> n.output(0).equals("pos")).findFirst().orElseThrow();
        assertEquals("DequantizeLinear", dq.opType());
        assertEquals(2, dq.attrInt("axis", -1));
        byte[] ints = q.model().graph().initializer(dq.input(0)).bytes();
        float[] scale = q.model().graph().initializer(dq.input(1)).toFloats();
        assertEquals(64, scale.length);
        for (int c = 0; c < 64; c++) {
            double max = 0;
            for (int t = 0; t < 16; t++) max = Math.max(max, Math.abs(pos[t * 64 + c]));
            assertEquals(max / 127, scale[c], 1e-6 * max, "scale of feature " + c);
            for (int t = 0; t < 16; t++) assertEquals(pos[t * 64 + c], ints[t * 64 + c] * scale[c], scale[c] / 2 + 1e-7, "pos[" + t + "," + c + "]");
        }
        // 4 bytes per value became 1
        int saved = OnnxWriter.toBytes(floatTables).length - OnnxWriter.toBytes(q.model()).length;
        assertTrue(saved > 3 * 1024 - 600, "bytes saved: " + saved);
        float[] want = TransformerInt8Test.ort(floatTables, a.get("x")), got = TransformerInt8Test.ort(q.model(), a.get("x"));
        assertTrue(TransformerInt8Test.maxDiff(want, got) < 0.02 * TransformerInt8Test.maxAbs(want), "logits moved " + TransformerInt8Test.maxDiff(want, got));
    }

    @Test
    void gatherTablesGetOneScalePerRowAndOrtRunsThem() {
        Model m = TransformerInt8Test.canonical("nanogpt_tiny.onnx");
        Map<String, Tensor> a = Npy.readNpz(TransformerInt8Test.DIR.resolve("nanogpt_tiny.npz"));
        Model q = m.copy();
        List<TableQuantizer.Table> tables = TableQuantizer.apply(q, 64);
        assertTrue(!tables.isEmpty());
        int gathered = 0;
        for (TableQuantizer.Table t : tables) {
            boolean readByGather = m.graph().nodes().stream().anyMatch(n -> n.opType().equals("Gather") && n.input(0).equals(t.name()));
            if (readByGather) {
                gathered++;
                assertEquals(0, t.axis(), t.name() + ": one scale per embedding row");
            }
            assertEquals(4L * m.graph().initializer(t.name()).size(), t.floatBytes());
        }
        assertTrue(gathered > 0, tables.toString());
        String in = m.graph().runtimeInputs().get(0).name(), out = m.graph().outputNames().get(0);
        float[] want, got;
        try (OrtRunner r = new OrtRunner(m, 2)) {
            want = r.run(Map.of(in, a.get("x"))).get(out).floats();
        }
        try (OrtRunner r = new OrtRunner(q, 2)) {
            got = r.run(Map.of(in, a.get("x"))).get(out).floats();
        }
        assertTrue(TransformerInt8Test.maxDiff(want, got) < 0.02 * TransformerInt8Test.maxAbs(want), "outputs moved " + TransformerInt8Test.maxDiff(want, got));
    }
}
