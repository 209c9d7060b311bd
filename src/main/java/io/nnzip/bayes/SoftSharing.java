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
    private final float tau;

    /** @param groups each prior with the names of the weights it governs */
    public SoftSharing(Map<MixturePrior, Set<String>> groups, float tau) {
        this.groups = groups;
        this.tau = tau;
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
        return (float) total;
    }

    @Override
    public void afterStep(Trainer trainer) {
        for (MixturePrior p : groups.keySet()) p.project();
    }
}
