package io.nnzip.bayes;

import io.nnzip.train.Param;
import io.nnzip.train.StepHook;
import io.nnzip.train.Trainer;
import java.util.HashMap;
import java.util.Map;

/**
 * The training objective of sparse variational dropout as a {@link StepHook}: the Trainer's mean cross-entropy
 * (the data term, computed through the noisy graph of {@link NoiseBranches}) plus, after every backward pass,
 * β(t)·{@code klWeight}/N·Σ KL(log α) over the noisy weights ({@link VdKl}), N the training-set size, so the sum is the
 * negative ELBO per example. β ramps linearly from 0 to 1 over the first {@code warmupSteps} steps (KL warm-up:
 * the weights fit the data before the prior starts pushing them into noise). The log-variances may step faster than
 * the weights ({@code sigmaLrScale}: each optimizer step of a log σ² is stretched by that factor): from their
 * initial −10 they must climb ≈ 10 units to remove a weight through σ alone (at Adam's ≈ lr per step, 10⁴ steps at
 * lr 10⁻³). Measured on the MLP, a factor of 10 removed fewer weights than 1 (the noise grows before θ shrinks, and θ
 * grows to meet it): removal comes mostly from θ → 0 under the KL, so the pass defaults to 1.
 */
public final class VariationalDropout implements StepHook {
    private final Map<String, String> logSigma2ByWeight;
    private final double perExample;
    private final long warmupSteps;
    private final float sigmaLrScale;
    private Map<String, Param> byName;
    private final Map<String, float[]> beforeStep = new HashMap<>();

    /**
     * @param logSigma2ByWeight each noisy weight's log-variance initializer (both must be trained)
     * @param klWeight          factor of the KL term (1: the variational lower bound)
     * @param trainSize         N, the training examples per epoch
     * @param warmupSteps       steps over which the KL factor ramps from 0 to {@code klWeight} (0: none)
     * @param sigmaLrScale      factor on every optimizer step of the log-variances (1: the weights' rate)
     */
    public VariationalDropout(Map<String, String> logSigma2ByWeight, float klWeight, int trainSize, long warmupSteps, float sigmaLrScale) {
        this.sigmaLrScale = sigmaLrScale;
        this.logSigma2ByWeight = Map.copyOf(logSigma2ByWeight);
        this.perExample = klWeight / (double) trainSize;
        this.warmupSteps = warmupSteps;
    }

    /** The KL factor β(t) ∈ [0, 1] at step {@code step}. */
    public double ramp(long step) { return ramp(step, warmupSteps); }

    /** The linear KL warm-up shared by the variational passes: 0 → 1 over {@code warmupSteps} steps (none when ≤ 0). */
    static double ramp(long step, long warmupSteps) { return warmupSteps <= 0 ? 1.0 : Math.min(1.0, (step + 1) / (double) warmupSteps); }

    @Override
    public float afterBackward(Trainer trainer) {
        if (byName == null) {
            byName = new HashMap<>();
            for (Param p : trainer.params()) byName.put(p.name(), p);
            for (Map.Entry<String, String> e : logSigma2ByWeight.entrySet())
                if (!byName.containsKey(e.getKey()) || !byName.containsKey(e.getValue()))
                    throw new IllegalStateException("variational dropout: " + e.getKey() + " or its log-variance is not trained");
        }
        double scale = perExample * ramp(trainer.steps()), total = 0;
        for (Map.Entry<String, String> e : logSigma2ByWeight.entrySet()) {
            Param w = byName.get(e.getKey()), ls = byName.get(e.getValue());
            total += VdKl.sumAndGrad(w.value(), ls.value(), w.grad(), ls.grad(), scale);
            if (sigmaLrScale != 1f) beforeStep.put(ls.name(), ls.value().clone());
        }
        return (float) (scale * total);
    }

    @Override
    public void afterStep(Trainer trainer) {
        if (sigmaLrScale != 1f) stretchSteps(beforeStep, byName, sigmaLrScale);
    }

    /** Scales the optimizer's last step of each parameter in {@code before} (its value before the step) by {@code factor}. */
    static void stretchSteps(Map<String, float[]> before, Map<String, Param> byName, float factor) {
        for (Map.Entry<String, float[]> e : before.entrySet()) {
            float[] v = byName.get(e.getKey()).value(), old = e.getValue();
            for (int i = 0; i < v.length; i++) v[i] = old[i] + factor * (v[i] - old[i]);
        }
    }
}
