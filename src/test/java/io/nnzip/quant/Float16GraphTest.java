package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.onnx.OnnxWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The inputs ONNX types as float32 whatever the data type, and the ops with no float16 schema, in graphs shaped as
 * exporters write them: the fp16 file must load in ONNX Runtime and compute what the float32 one computes there.
 */
class Float16GraphTest {
    private static Node node(String op, List<String> in, String out, Attribute... attrs) {
        Node n = new Node(out + "_node", op, new ArrayList<>(in), new ArrayList<>(List.of(out)));
        for (Attribute a : attrs) n.set(a);
        return n;
    }

    /**
     * x (1,1,4,4) · S (an initializer also read as Resize scales through a computed Mul), nearest Resize to (1,1,6,6),
     * plus a float Range(0, 6, 1) along the last axis.
     */
    static Model exporterShapes() {
        Graph g = new Graph("g");
        g.inputs().add(ValueInfo.of("x", DType.FLOAT, 1, 1, 4, 4));
        g.outputs().add(ValueInfo.of("y", DType.FLOAT, 1, 1, 6, 6));
        g.initializers().put("S", Tensor.of(new float[] {1f, 1f, 1.5f, 1.5f}, 4));
        g.nodes().add(node("Constant", List.of(), "one", Attribute.of("value", Tensor.scalar(1f))));
        g.nodes().add(node("Mul", List.of("x", "S"), "t"));
        g.nodes().add(node("Mul", List.of("S", "one"), "scales"));
        g.nodes().add(node("Resize", List.of("t", "", "scales"), "r", Attribute.of("mode", "nearest")));
        g.nodes().add(node("Constant", List.of(), "start", Attribute.of("value", Tensor.scalar(0f))));
        g.nodes().add(node("Constant", List.of(), "limit", Attribute.of("value", Tensor.scalar(6f))));
        g.nodes().add(node("Constant", List.of(), "delta", Attribute.of("value", Tensor.scalar(1f))));
        g.nodes().add(node("Range", List.of("start", "limit", "delta"), "rng"));
        g.nodes().add(node("Add", List.of("r", "rng"), "y"));
        Model m = new Model(g);
        m.opsets().put("", 13L);
        return m;
    }

    @Test
    void float32OnlyInputsAndRangeStayFloat32() {
        Model f = exporterShapes();
        float[] xv = new float[16];
        for (int i = 0; i < 16; i++) xv[i] = 0.37f * i - 2.1f;
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(xv, 1, 1, 4, 4));
        Tensor want;
        try (OrtRunner o = new OrtRunner(OnnxWriter.toBytes(f), 1)) {
            want = o.run(feeds).get("y");
        }
        Model h = f.copy();
        Float16Graph.convert(h, true);
        Tensor got;
        try (OrtRunner o = new OrtRunner(OnnxWriter.toBytes(h), 1)) {
            got = o.run(feeds).get("y");
        }
        assertEquals(DType.FLOAT, got.dtype());
        assertEquals(36, got.size());
        Tensor eng = new Executor(h).run(feeds).get("y");
        for (int i = 0; i < 36; i++) {
            float w = want.floats()[i];
            // x and S rounded to float16, and the product and sum rounded again: a few 2^-11 relative
            assertEquals(w, got.floats()[i], 2e-3 * Math.max(1, Math.abs(w)), "ORT [" + i + "]");
            // ORT drops the float16 rounding of a value it casts back to float32 at once (its CPU kernels are float32)
            assertEquals(w, eng.floats()[i], 2e-3 * Math.max(1, Math.abs(w)), "engine [" + i + "]");
        }
        for (Node n : h.graph().nodes())
            if (n.opType().equals("Range")) for (String in : n.inputs()) assertTrue(in.endsWith("_fp32"), "Range reads float32 " + in);
    }

    @Test
    void quantizedGraphsAreRefusedInOneLine() {
        Graph g = new Graph("q");
        g.inputs().add(ValueInfo.of("x", DType.INT8, 4));
        g.outputs().add(ValueInfo.of("y", DType.FLOAT, 4));
        g.initializers().put("s", Tensor.scalar(0.5f));
        g.nodes().add(node("DequantizeLinear", List.of("x", "s"), "y"));
        NnzipException e = assertThrows(NnzipException.class, () -> Float16Graph.convert(new Model(g), true));
        assertTrue(e.getMessage().contains("quantized") && !e.getMessage().contains("\n"), e.getMessage());
    }
}
