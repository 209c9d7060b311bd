package io.nnzip.bayes;

import io.nnzip.train.Param;
import io.nnzip.train.StepHook;
import io.nnzip.train.Trainer;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Soft weight-sharing as a {@link StepHook}: after every backward pass adds τ·∂(−log p(w))/∂· of each group's
 * {@link MixturePrior} to its weights' and the mixture's gradients, so the Trainer's optimizer moves weights and
 * mixture together; after the step keeps the zero component pinned and the variances above their floor.
 */
public final class SoftSharing implements StepHook {
    private final Map<MixturePrior, Set<String>> groups;
    private final float tau, meanLr, priorLr;
    private final Map<String, float[]> meansBefore = new java.util.HashMap<>(), priorBefore = new java.util.HashMap<>();
    private final Map<String, Param> mixtureParams = new java.util.HashMap<>();

    /**
     * @param groups  each prior with the names of the weights it governs
     * @param meanLr  factor on every optimizer step of the means (Ullrich et al.: 1e-4 against the weights' 5e-4).
     *                Adam moves a mean by ≈ lr per step however few weights it holds, so at the weights' rate the
     *                emptier components race to the nearest crowded one and the mixture merges into a few values
     * @param priorLr factor on every optimizer step of the log-variances and mixing logits (Ullrich et al.: 3e-3): the
     *                variances must shrink within the budget for the weights to close onto the means before the snap
     */
    public SoftSharing(Map<MixturePrior, Set<String>> groups, float tau, float meanLr, float priorLr) {
        this.groups = groups;
        this.tau = tau;
        this.meanLr = meanLr;
        this.priorLr = priorLr;
        for (MixturePrior p : groups.keySet())
            for (Param q : List.of(p.means(), p.logVariances(), p.logits())) mixtureParams.put(q.name(), q);
    }

    /** The mixtures' parameters, to register with {@link Trainer.Options#extraParam}. */
    public List<Param> extraParams() {
        return groups.keySet().stream().flatMap(p -> java.util.stream.Stream.of(p.means(), p.logVariances(), p.logits())).toList();
    }

    @Override
    public float afterBackward(Trainer trainer) {
        double total = 0;
        for (Map.Entry<MixturePrior, Set<String>> g : groups.entrySet())
            for (Param p : trainer.params())
                if (g.getValue().contains(p.name())) total += g.getKey().lossAndGrad(p.value(), p.grad(), tau, trainer.parallel());
        for (MixturePrior p : groups.keySet()) {
            if (meanLr != 1f) meansBefore.put(p.means().name(), p.means().value().clone());
            if (priorLr != 1f) for (Param q : List.of(p.logVariances(), p.logits())) priorBefore.put(q.name(), q.value().clone());
        }
        return (float) total;
    }

    @Override
    public void afterStep(Trainer trainer) {
        VariationalDropout.stretchSteps(meansBefore, mixtureParams, meanLr);
        VariationalDropout.stretchSteps(priorBefore, mixtureParams, priorLr);
        for (MixturePrior p : groups.keySet()) p.project();
    }
}
