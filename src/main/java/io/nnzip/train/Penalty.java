package io.nnzip.train;

import java.util.regex.Pattern;

/**
 * An L1 or L2 penalty λ·Σ|w| or λ/2·Σw² on the parameters whose names match a pattern (sparsity-inducing
 * training puts L1 on the weights to be pruned). Adds its gradient to the parameter gradients.
 */
public record Penalty(Kind kind, float lambda, Pattern names) implements StepHook {
    public enum Kind { L1, L2 }

    public static Penalty l1(float lambda, String regex) { return new Penalty(Kind.L1, lambda, Pattern.compile(regex)); }

    public static Penalty l2(float lambda, String regex) { return new Penalty(Kind.L2, lambda, Pattern.compile(regex)); }

    public boolean appliesTo(String name) { return names.matcher(name).find(); }

    @Override
    public float afterBackward(Trainer trainer) {
        float total = 0;
        for (Param p : trainer.params()) if (appliesTo(p.name())) total += apply(p.value(), p.grad());
        return total;
    }

    /** Adds the penalty's gradient to {@code grad} and returns its value. */
    public float apply(float[] w, float[] grad) {
        double total = 0;
        for (int i = 0; i < w.length; i++) {
            if (kind == Kind.L1) {
                total += Math.abs(w[i]);
                grad[i] += lambda * Math.signum(w[i]);
            } else {
                total += 0.5 * w[i] * w[i];
                grad[i] += lambda * w[i];
            }
        }
        return (float) (lambda * total);
    }
}
