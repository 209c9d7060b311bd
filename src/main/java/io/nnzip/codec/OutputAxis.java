package io.nnzip.codec;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import java.util.List;
import java.util.Map;

/** The output-channel axis of a weight, from how the graph uses it (for per-channel quantization steps). */
final class OutputAxis {
    private OutputAxis() {}

    // Conv w: (K,C/g,R,S) -> axis 0; ConvTranspose w: (C,K/g,R,S) -> 1; MatMul b: (K,N) -> last; Gemm b: (K,N) or (N,K) if transB.
    static int of(Graph g, Map<String, List<Node>> consumers, String name, int rank) {
        List<Node> users = consumers.get(name);
        if (users == null || users.isEmpty() || rank == 0) return 0;
        Node n = users.get(0);
        return switch (n.opType()) {
            case "ConvTranspose" -> rank > 1 ? 1 : 0;
            case "MatMul" -> n.inputs().indexOf(name) == 1 ? rank - 1 : 0;
            case "Gemm" -> {
                if (n.inputs().indexOf(name) != 1) yield 0;
                yield n.attrInt("transB", 0) != 0 ? 0 : rank - 1;
            }
            default -> 0;
        };
    }
}
