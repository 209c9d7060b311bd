package io.nnzip.ir;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Canonical;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.canon.Rewrite;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Canonicalization on a hand-built graph with the exporter hazards, checked against ONNX Runtime running the
 * graph as written (at two batch sizes, so folding a dynamic dim would show) and against hand counts.
 */
class CanonicalizerTest {
    /** x(batch,4) · Identity(W) + Cast(b) → * Constant → view(batch, 2, 2) via Shape/Gather → chunk into two Slices. */
    static Model hazards() {
        GraphBuilder b = new GraphBuilder("hazards");
        String x = b.input("x", DType.FLOAT, -1, 4);
        String w0 = b.init("w0", new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 4, 4);
        String w = b.op("Identity", w0);
        String w2 = b.op("Identity", w0); // the exporter's deduplicated copy for a second reader
        String bi = b.init("b_int", new Tensor(DType.INT32, new int[] {4}, new int[] {1, -1, 2, -2}));
        String bias = b.op("Cast", bi, Attribute.of("to", (long) DType.FLOAT.onnx));
        String c = b.fresh("c");
        b.node("const", "Constant", List.of(), List.of(c), Attribute.of("value", Tensor.scalar(0.5f)));
        String h = b.op("Mul", b.op("Add", b.op("MatMul", x, w), bias), c);
        h = b.op("Add", h, b.op("MatMul", x, w2));
        String shape = b.op("Shape", h);
        String batch = b.op("Unsqueeze", new String[] {b.op("Gather", new String[] {shape, b.init("i0", Tensor.scalarLong(0))}, Attribute.of("axis", 0L)), b.init("ax", Tensor.vector(0))});
        String feat = b.op("Gather", new String[] {shape, b.init("i1", Tensor.scalarLong(1))}, Attribute.of("axis", 0L));
        String half = b.op("Unsqueeze", new String[] {b.op("Div", feat, b.init("two", Tensor.scalarLong(2))), b.init("ax2", Tensor.vector(0))});
        String v = b.op("Reshape", h, b.op("Concat", new String[] {batch, b.init("two_v", Tensor.vector(2)), half}, Attribute.of("axis", 0L)));
        String s1 = b.op("Slice", new String[] {v, b.init("s0", Tensor.vector(0)), b.op("Unsqueeze", new String[] {b.op("Div", feat, b.init("four", Tensor.scalarLong(4))), b.init("ax3", Tensor.vector(0))}), b.init("a1", Tensor.vector(1))});
        String s2 = b.op("Slice", new String[] {v, b.init("one", Tensor.vector(1)), b.init("big", Tensor.vector(Long.MAX_VALUE)), b.init("a1b", Tensor.vector(1))});
        String y = b.rename(b.op("Add", s1, s2), "y");
        b.output(y, DType.FLOAT, -1, 1, 2);
        b.output(b.rename(w2, "w_out"), DType.FLOAT, 4, 4); // a graph output reading an Identity keeps its name
        return b.build(17);
    }

    static Map<String, Tensor> run(Model m, int batch) {
        float[] x = new float[batch * 4];
        SplittableRandom r = new SplittableRandom(batch);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-1, 1);
        try (OrtRunner o = new OrtRunner(m, 1)) {
            return o.run(Map.of("x", Tensor.of(x, batch, 4)));
        }
    }

    @Test
    void foldsTheHazardsKeepsTheDynamicBatchAndComputesTheSame() {
        Model m = hazards();
        Map<String, Tensor> before2 = run(m, 2), before5 = run(m, 5);
        Model c = m.copy();
        List<Rewrite> rw = Canonical.apply(c);
        Map<String, Integer> counts = new java.util.HashMap<>();
        for (Rewrite r : rw) counts.put(r.rule(), r.count());
        assertEquals(1, counts.get("hoist-constants"), rw.toString());
        assertEquals(1, counts.get("fold-identity"), "the Identity writing graph output w_out stays: " + rw);
        assertEquals(1, counts.get("fold-cast"), rw.toString());
        assertEquals(1, counts.get("slices-to-split"), rw.toString());
        Map<String, Integer> ops = new java.util.TreeMap<>();
        for (Node n : c.graph().nodes()) ops.merge(n.opType(), 1, Integer::sum);
        assertNull(ops.get("Constant"));
        assertNull(ops.get("Cast"));
        assertNull(ops.get("Slice"));
        assertNull(ops.get("Div"), "the feature dim is static, so its arithmetic is folded: " + ops);
        assertEquals(1, ops.get("Identity"), ops.toString());
        assertEquals(1, ops.get("Gather"), "the batch dim stays read at run time: " + ops);
        assertEquals(List.of("x"), c.graph().inputs().stream().map(ValueInfo::name).toList());
        assertEquals(List.of("y", "w_out"), c.graph().outputNames());
        for (int batch : new int[] {2, 5}) {
            Map<String, Tensor> want = batch == 2 ? before2 : before5, got = run(c, batch);
            for (String out : want.keySet()) assertArrayEquals(want.get(out).floats(), got.get(out).floats(), 1e-6f, out + " at batch " + batch);
        }
    }

    @Test
    void unshareGivesEachReaderItsOwnNameAndReshareUndoesIt() {
        Model m = hazards();
        Canonical.apply(m);
        Graph g = m.graph();
        g.initializers().put("shared", g.initializer("w0"));
        int readers = 0;
        for (Node n : g.nodes()) if (n.opType().equals("MatMul")) {
            n.inputs().set(1, "shared");
            readers++;
        }
        assertEquals(2, readers);
        g.removeUnusedInitializers();
        assertTrue(GraphEdits.unshareAll(g) >= 1);
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Node n : g.nodes()) if (n.opType().equals("MatMul")) names.add(n.input(1));
        assertEquals(2, names.size(), "each MatMul reads its own name");
        int before = g.initializers().size();
        assertTrue(GraphEdits.reshare(g) >= 1);
        assertTrue(g.initializers().size() < before);
        names.clear();
        for (Node n : g.nodes()) if (n.opType().equals("MatMul")) names.add(n.input(1));
        assertEquals(1, names.size(), "equal tensors are one again");
    }
}
