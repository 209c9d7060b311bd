package io.nnzip.bayes;

import io.nnzip.train.Param;
import io.nnzip.train.StepHook;
import io.nnzip.train.Trainer;
import java.util.HashMap;
import java.util.Map;

/**
 * The training objective of Bayesian compression (group normal-Jeffreys prior) as a {@link StepHook}: the Trainer's
 * mean cross-entropy through the noisy, gated graph ({@link NoiseBranches}, {@link GroupGates}) plus, after every
 * backward pass, β(t)·{@code klWeight}/N·KL ({@link GroupKl}): the log-uniform KL of every group scale z and the
 * standard-normal KL of every scaled weight w̃. N is the training-set size, so the sum is the negative ELBO per example;
 * β ramps linearly from 0 to 1 over the first {@code warmupSteps} steps, as in {@link VariationalDropout}.
 */
public final class GroupVariational implements StepHook {
    private final Map<String, String> logSigma2ByWeight, logVarByZ;
    private final double perExample;
    private final long warmupSteps;
    private final float scaleLr;
    private Map<String, Param> byName;
    private final Map<String, float[]> beforeStep = new HashMap<>();

    /**
     * @param logSigma2ByWeight each noisy weight w̃'s log-variance initializer
     * @param logVarByZ         each group scale μ_z's log-variance initializer
     * @param scaleLr           factor on every optimizer step of μ_z and log σ_z² (1: the weights' rate)
     */
    public GroupVariational(Map<String, String> logSigma2ByWeight, Map<String, String> logVarByZ, float klWeight, int trainSize, long warmupSteps, float scaleLr) {
        this.scaleLr = scaleLr;
        this.logSigma2ByWeight = Map.copyOf(logSigma2ByWeight);
        this.logVarByZ = Map.copyOf(logVarByZ);
        this.perExample = klWeight / (double) trainSize;
        this.warmupSteps = warmupSteps;
    }

    public double ramp(long step) { return VariationalDropout.ramp(step, warmupSteps); }

    @Override
    public float afterBackward(Trainer trainer) {
        if (byName == null) {
            byName = new HashMap<>();
            for (Param p : trainer.params()) byName.put(p.name(), p);
            for (Map<String, String> m : java.util.List.of(logSigma2ByWeight, logVarByZ))
                for (Map.Entry<String, String> e : m.entrySet())
                    if (!byName.containsKey(e.getKey()) || !byName.containsKey(e.getValue()))
                        throw new IllegalStateException("bayesian compression: " + e.getKey() + " or its log-variance is not trained");
        }
        double scale = perExample * ramp(trainer.steps()), total = 0;
        for (Map.Entry<String, String> e : logVarByZ.entrySet()) {
            Param z = byName.get(e.getKey()), lv = byName.get(e.getValue());
            total += VdKl.sumAndGrad(z.value(), lv.value(), z.grad(), lv.grad(), scale);
            if (scaleLr != 1f) {
                beforeStep.put(z.name(), z.value().clone());
                beforeStep.put(lv.name(), lv.value().clone());
            }
        }
        for (Map.Entry<String, String> e : logSigma2ByWeight.entrySet()) {
            Param w = byName.get(e.getKey()), ls = byName.get(e.getValue());
            total += GroupKl.weightsSumAndGrad(w.value(), ls.value(), w.grad(), ls.grad(), scale);
        }
        return (float) (scale * total);
    }

    /**
     * Stretches the scales' optimizer steps: a group leaves only once μ_z has fallen about two orders of magnitude
     * (log α = log σ_z² − log μ_z²), which at Adam's ≈ lr per step takes thousands of steps, more than a short
     * fine-tuning has; the weights keep the rate they were trained at.
     */
    @Override
    public void afterStep(Trainer trainer) {
        if (scaleLr != 1f) VariationalDropout.stretchSteps(beforeStep, byName, scaleLr);
    }
}
