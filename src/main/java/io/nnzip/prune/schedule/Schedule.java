package io.nnzip.prune.schedule;

import io.nnzip.ir.NnzipException;

/**
 * How a target sparsity is reached: {@code oneshot} (one step), {@code iterative:S} (S steps, each removing the
 * same share of the weights still alive, as in iterative magnitude pruning) or {@code agp:S} (Zhu &amp; Gupta's
 * automated gradual pruning: s_k = s·(1 − (1 − k/S)³), fast early and gentle late). Fine-tuning epochs are spread
 * evenly over the steps.
 */
public record Schedule(String kind, int steps) {
    public static Schedule parse(String s) {
        if (s == null || s.equals("oneshot")) return new Schedule("oneshot", 1);
        String[] p = s.split(":");
        if (p.length == 2 && (p[0].equals("iterative") || p[0].equals("agp"))) {
            try {
                int n = Integer.parseInt(p[1]);
                if (n >= 1 && n <= 1000) return new Schedule(p[0], n);
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        throw new NnzipException("--schedule must be oneshot, iterative:STEPS or agp:STEPS (1..1000), not '" + s + "'");
    }

    /** Target amount after step {@code k} (1-based). */
    public double amountAt(double target, int k) {
        double f = (double) k / steps;
        return switch (kind) {
            case "iterative" -> 1 - Math.pow(1 - target, f);
            case "agp" -> target * (1 - Math.pow(1 - f, 3));
            default -> target;
        };
    }

    /** Fine-tuning epochs after step {@code k} (1-based) when {@code total} are spread over all steps. */
    public int epochsAfter(int total, int k) { return (int) ((long) total * k / steps - (long) total * (k - 1) / steps); }

    @Override
    public String toString() { return kind.equals("oneshot") ? kind : kind + ":" + steps; }
}
