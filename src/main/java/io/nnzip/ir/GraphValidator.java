package io.nnzip.ir;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Structural checks with errors that name the offending value and node: duplicate definitions, inputs that
 * nothing defines, cycles, outputs that nothing produces. Shape consistency is checked by shape inference.
 */
public final class GraphValidator {
    private GraphValidator() {}

    public static void validate(Graph g) { validate(g, Set.of(), "graph"); }

    /** @param outer names visible from an enclosing graph (for subgraphs) */
    public static void validate(Graph g, Set<String> outer, String where) {
        Set<String> defined = new HashSet<>(outer);
        Set<String> inputNames = new HashSet<>();
        for (ValueInfo v : g.inputs())
            if (!inputNames.add(v.name())) throw new NnzipException(where + ": duplicate graph input '" + v.name() + "'");
        defined.addAll(inputNames);
        defined.addAll(g.initializers().keySet());
        Set<String> produced = new HashSet<>();
        for (Node n : g.nodes())
            for (String o : n.outputs()) {
                if (o.isEmpty()) continue;
                if (!produced.add(o)) throw new NnzipException(where + ": value '" + o + "' is produced twice (again by " + n.describe() + ")");
                if (inputNames.contains(o) || g.initializers().containsKey(o))
                    throw new NnzipException(where + ": " + n.describe() + " redefines graph input or initializer '" + o + "'");
            }
        Set<String> all = new HashSet<>(defined);
        all.addAll(produced);
        for (Node n : g.nodes()) {
            if (n.opType() == null || n.opType().isEmpty()) throw new NnzipException(where + ": a node has no op_type (" + n + ")");
            for (String i : n.inputs())
                if (!i.isEmpty() && !all.contains(i))
                    throw new NnzipException(where + ": " + n.describe() + " reads '" + i + "', which no node, input or initializer defines");
            for (Attribute a : n.attributes().values()) {
                if (a.type() == Attribute.Type.GRAPH) validate((Graph) a.value(), all, where + "/" + n.describe() + "." + a.name());
                if (a.type() == Attribute.Type.GRAPHS)
                    for (Object sg : (List<?>) a.value()) validate((Graph) sg, all, where + "/" + n.describe() + "." + a.name());
            }
        }
        for (ValueInfo o : g.outputs())
            if (!all.contains(o.name())) throw new NnzipException(where + ": output '" + o.name() + "' is not produced by any node");
        TopoSort.order(g.nodes()); // throws on a cycle
    }
}
