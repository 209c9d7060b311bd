package io.nnzip.engine;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.Map;

/** The value of a graph value computable from initializers alone (a weight stored as codes → Cast → Mul, say), or null. */
public final class ConstantValue {
    /** Deeper chains are not weight decoders; give up rather than evaluate a whole network. */
    static final int MAX_DEPTH = 6;

    private ConstantValue() {}

    public static Tensor of(Graph g, String name, Map<String, Node> producers, int opset) {
        return of(g, name, producers, new ExecContext(new Parallel(1), opset), MAX_DEPTH);
    }

    private static Tensor of(Graph g, String name, Map<String, Node> producers, ExecContext ctx, int depth) {
        if (name.isEmpty()) return null;
        Tensor t = g.initializer(name);
        if (t != null) return t;
        Node p = producers.get(name);
        if (p == null || depth == 0 || p.opType().startsWith("Random") || !OpRegistry.supports(p.domain(), p.opType())) return null;
        Tensor[] in = new Tensor[p.inputs().size()];
        for (int i = 0; i < in.length; i++) {
            if (p.input(i).isEmpty()) continue;
            in[i] = of(g, p.input(i), producers, ctx, depth - 1);
            if (in[i] == null) return null;
        }
        Tensor[] out = OpRegistry.get(p).kernel().run(p, in, ctx);
        return out[p.outputs().indexOf(name)];
    }
}
