package io.nnzip.prune.schedule;

import io.nnzip.ir.NnzipException;

/**
 * How a target sparsity is reached: {@code oneshot} (one step), {@code iterative:S} (S steps, each removing the
 * same share of the weights still alive, as in iterative magnitude pruning) or {@code agp:S} (Zhu &amp; Gupta's
 * automated gradual pruning: s_k = s·(1 − (1 − k/S)³), fast early and gentle late). Fine-tuning epochs are spread
 * evenly over the steps. {@code gradual:S} follows AGP's amounts but prunes inside one fine-tuning run, as Zhu &amp;
 * Gupta do: step 1 before training, the others evenly over the first {@link #GRADUAL_SPAN} of it, so the masks
 * settle while the learning rate is still high and the rest of the budget trains the final mask.
 */
public record Schedule(String kind, int steps) {
    /** Share of the fine-tuning run over which {@code gradual} prunes; the rest trains the final mask. */
    public static final double GRADUAL_SPAN = 0.5;

    public static Schedule parse(String s) {
        if (s == null || s.equals("oneshot")) return new Schedule("oneshot", 1);
        String[] p = s.split(":");
        if (p.length == 2 && (p[0].equals("iterative") || p[0].equals("agp") || p[0].equals("gradual"))) {
            try {
                int n = Integer.parseInt(p[1]);
                if (n >= 1 && n <= 1000) return new Schedule(p[0], n);
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        throw new NnzipException("--prune-schedule must be oneshot, iterative:STEPS, agp:STEPS or gradual:STEPS (1..1000), not '" + s + "'");
    }

    /** Target amount after step {@code k} (1-based). */
    public double amountAt(double target, int k) {
        double f = (double) k / steps;
        return switch (kind) {
            case "iterative" -> 1 - Math.pow(1 - target, f);
            case "agp", "gradual" -> target * (1 - Math.pow(1 - f, 3));
            default -> target;
        };
    }

    /** Fine-tuning epochs after step {@code k} (1-based) when {@code total} are spread over all steps. */
    public int epochsAfter(int total, int k) { return (int) ((long) total * k / steps - (long) total * (k - 1) / steps); }

    public boolean inTraining() { return kind.equals("gradual"); }

    /** gradual: the share of the fine-tuning run after which step {@code k} (2..S) prunes. */
    public double trainingShareAt(int k) { return GRADUAL_SPAN * (k - 1) / Math.max(1, steps - 1); }

    @Override
    public String toString() { return kind.equals("oneshot") ? kind : kind + ":" + steps; }
}
