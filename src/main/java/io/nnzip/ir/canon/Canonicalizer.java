package io.nnzip.ir.canon;

import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Puts a graph in the form every pass expects before it analyses it, whatever exporter wrote it: constants
 * are initializers, weights are plain initializers (not Identity/Cast chains over a deduplicated tensor), shape
 * arithmetic that only reads static dims is folded, chunked Slices are Splits, and nothing dead is left.
 * Graph inputs and outputs keep their names. The rewrites it applied are returned for the pass report.
 */
public final class Canonicalizer {
    private Canonicalizer() {}

    /**
     * Canonicalizes {@code m} in place.
     *
     * @param probe computes what is static in the graph it is given (called after constants and identities are
     *              folded, so it sees their final names); {@code m -> StaticValues.NONE} skips shape folding
     */
    public static List<Rewrite> run(Model m, Function<Model, StaticValues> probe) {
        Graph g = m.graph();
        List<Rewrite> done = new ArrayList<>();
        note(done, "hoist-constants", HoistConstants.apply(g), "Constant nodes became initializers");
        note(done, "fold-identity", FoldIdentities.apply(g), "Identity nodes removed (those over a shared initializer became per-reader initializers)");
        note(done, "fold-cast", CastConstants.apply(g), "Casts of initializers became initializers");
        StaticValues sv = probe.apply(m);
        note(done, "fold-static", FoldStatic.apply(g, sv), "nodes computing static values (shape arithmetic) became initializers");
        note(done, "slices-to-split", SlicesToSplit.apply(g, sv, m.opset()), "groups of Slices tiling an axis became a Split");
        note(done, "remove-dead", GraphEdits.removeDeadNodes(g), "nodes whose outputs nothing reads were removed");
        note(done, "drop-unused-initializers", g.removeUnusedInitializers(), "initializers nothing reads were dropped");
        dropStaleValueInfo(g);
        io.nnzip.ir.TopoSort.sort(g);
        return done;
    }

    /**
     * Folds the shape arithmetic of a training tape's graph, in place: static values not computed from float
     * initializers become Constant nodes (initializers, the parameters, are not touched). What they were computed
     * from is left in place for the caller's dead-node removal. Returns the number of nodes folded.
     */
    public static int foldShapeArithmetic(Model m, Function<Model, StaticValues> probe) { return FoldStatic.apply(m.graph(), probe.apply(m), true); }

    /** Type annotations of values that folding turned into initializers or removed. */
    private static void dropStaleValueInfo(Graph g) {
        java.util.Set<String> produced = new java.util.HashSet<>();
        g.nodes().forEach(n -> produced.addAll(n.outputs()));
        g.valueInfo().keySet().removeIf(k -> !produced.contains(k));
    }

    private static void note(List<Rewrite> done, String rule, int count, String what) {
        if (count > 0) done.add(new Rewrite(rule, count, what));
    }
}
