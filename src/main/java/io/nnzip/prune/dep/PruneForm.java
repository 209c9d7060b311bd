package io.nnzip.prune.dep;

import io.nnzip.engine.Canonical;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Model;
import io.nnzip.ir.canon.Rewrite;
import java.util.ArrayList;
import java.util.List;

/**
 * The form structured pruning analyses, and which plans name weights in: canonical, with every initializer
 * read by several nodes split into per-reader copies so each reader can lose its own channels. Deterministic, so
 * a plan replayed on the original model ({@link PlanApplier}) or masked into it ({@code Masking}) finds its names.
 */
public final class PruneForm {
    private PruneForm() {}

    /** Puts {@code m} in pruning form in place; returns the rewrites for the report. */
    public static List<Rewrite> apply(Model m) {
        List<Rewrite> rw = new ArrayList<>(Canonical.apply(m));
        int copies = GraphEdits.unshareAll(m.graph());
        if (copies > 0) rw.add(new Rewrite("unshare", copies, "per-reader copies of initializers several nodes read"));
        return rw;
    }
}
