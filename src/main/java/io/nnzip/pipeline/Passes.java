package io.nnzip.pipeline;

import io.nnzip.distill.DistillPass;
import io.nnzip.ir.NnzipException;
import io.nnzip.lowrank.FactorizeConfig;
import io.nnzip.pass.FineTunePass;
import io.nnzip.pass.Pass;
import io.nnzip.prune.PruneConfig;
import io.nnzip.quant.QuantConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** The passes a recipe step can name, each built from the step's options by its config's own factory. */
public final class Passes {
    private static final Map<String, Function<Map<String, ?>, Pass>> BUILT_IN = new LinkedHashMap<>();

    static {
        BUILT_IN.put("prune", PruneConfig::of);
        BUILT_IN.put("quantize", QuantConfig::of);
        BUILT_IN.put("factorize", FactorizeConfig::of);
        BUILT_IN.put("distill", DistillPass::of);
        BUILT_IN.put("train", FineTunePass::of);
        BUILT_IN.put("soft-share", io.nnzip.bayes.SoftSharePass::of);
        BUILT_IN.put("sparse-vd", io.nnzip.bayes.SparseVdPass::of);
        BUILT_IN.put("bayes-group", io.nnzip.bayes.BayesGroupPass::of);
    }

    private Passes() {}

    public static java.util.Set<String> names() { return BUILT_IN.keySet(); }

    /** The pass {@code step} configured by {@code options}; a clear error for an unknown pass or option. */
    public static Pass build(String step, Map<String, ?> options) {
        Function<Map<String, ?>, Pass> f = BUILT_IN.get(step);
        if (f == null) throw new NnzipException("unknown step '" + step + "' (passes: " + String.join(", ", BUILT_IN.keySet()) + ")");
        try {
            return f.apply(options);
        } catch (NnzipException e) {
            throw new NnzipException("step " + step + ": " + e.getMessage());
        }
    }
}
