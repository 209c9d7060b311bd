package io.nnzip.quant.prep;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Computes attention's a·v transposed: Transpose(a·V, [0,2,1,3]) with V = Transpose(v, [0,2,1,3]) becomes
 * Transpose(Vᵀ·aᵀ, [0,3,1,2]) with Vᵀ = Transpose(v, [0,2,3,1]). The same products, standard ops only. What changes
 * is ONNX Runtime's work: it copies [B,T,h,d] → [B,h,T,d] one d-long run at a time, while [0,2,3,1] and [0,3,1,2]
 * are one matrix transpose per image (the layout K already gets for q·kᵀ) at about half the cost, and it fuses
 * the transpose of a into the product (FusedMatMul, transB). Q keeps its layout: q·kᵀ with Q transposed needs
 * FusedMatMul's transA, which ORT runs slower on this host (measured, BENCHMARKS issue 13 session 16).
 */
public final class ValueHeadLayout {
    private ValueHeadLayout() {}

    private static final long[] HEADS = {0, 2, 1, 3}, HEADS_T = {0, 2, 3, 1}, LAST_TWO = {0, 1, 3, 2}, MERGE_T = {0, 3, 1, 2};

    /** Rewrites in place; returns how many a·v products were turned around. */
    public static int rewrite(Graph g) {
        Map<String, Node> producers = g.producers();
        Map<String, List<Node>> consumers = g.consumers();
        List<String> outputs = g.outputNames();
        int done = 0;
        for (Node av : List.copyOf(g.nodes())) {
            if (!av.opType().equals("MatMul") || !av.domain().isEmpty() || outputs.contains(av.output(0))) continue;
            Node v = producers.get(av.input(1));
            List<Node> vReaders = consumers.getOrDefault(av.input(1), List.of());
            List<Node> readers = consumers.getOrDefault(av.output(0), List.of());
            if (v == null || !isTranspose(v, HEADS) || vReaders.size() != 1 || outputs.contains(av.input(1))) continue;
            if (readers.size() != 1 || !isTranspose(readers.get(0), HEADS)) continue;
            Node merge = readers.get(0);
            String vt = g.freshName(v.output(0) + "_t"), at = g.freshName(av.input(0) + "_t"), outT = g.freshName(av.output(0) + "_t");
            v.outputs().set(0, vt);
            v.set(Attribute.of("perm", HEADS_T));
            Node transA = new Node(av.name().isEmpty() ? "" : av.name() + "/TransposeA", "Transpose", List.of(av.input(0)), List.of(at))
                    .set(Attribute.of("perm", LAST_TWO));
            av.inputs().set(0, vt);
            av.inputs().set(1, at);
            av.outputs().set(0, outT);
            merge.inputs().set(0, outT);
            merge.set(Attribute.of("perm", MERGE_T));
            g.nodes().add(g.nodes().indexOf(av), transA);
            done++;
        }
        return done;
    }

    private static boolean isTranspose(Node n, long[] perm) {
        return n.opType().equals("Transpose") && n.domain().isEmpty() && Arrays.equals(n.attrInts("perm", null), perm);
    }
}
