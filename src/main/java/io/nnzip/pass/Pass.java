package io.nnzip.pass;

import io.nnzip.ir.Model;

/**
 * A compression pass as a value: its config (a record of {@link Setting}s) is the pass, and running it never
 * changes the input model. CLI commands and recipe steps build the same configs (see {@link Configs#of}) and call
 * {@link #run}; the result carries the model, a report (what the command prints as JSON) and the provenance that
 * was also written into the model's metadata.
 */
public interface Pass {
    /** The step name: what a recipe step and the provenance key ({@code nnzip.<name>}) call this pass. */
    String name();

    PassResult run(Model model, PassContext context);
}
