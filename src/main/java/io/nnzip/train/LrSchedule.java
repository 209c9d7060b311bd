package io.nnzip.train;

import io.nnzip.ir.NnzipException;

/**
 * Learning rate as a function of the optimizer step: constant, step decay (×gamma every {@code every} steps) or
 * cosine annealing to zero, each optionally preceded by a linear warm-up from 0.
 */
public record LrSchedule(String kind, float base, int totalSteps, int warmupSteps, int every, float gamma) {
    public static LrSchedule of(String kind, float base, int totalSteps, int warmupSteps, int stepEvery, float gamma) {
        if (!kind.equals("constant") && !kind.equals("step") && !kind.equals("cosine"))
            throw new NnzipException("unknown schedule '" + kind + "' (use constant, step or cosine)");
        return new LrSchedule(kind, base, Math.max(1, totalSteps), Math.max(0, warmupSteps), Math.max(1, stepEvery), gamma);
    }

    public float at(int step) {
        if (step < warmupSteps) return base * (step + 1) / (warmupSteps + 1);
        int s = step - warmupSteps, span = Math.max(1, totalSteps - warmupSteps);
        return switch (kind) {
            case "step" -> base * (float) Math.pow(gamma, s / every);
            case "cosine" -> (float) (base * 0.5 * (1 + Math.cos(Math.PI * Math.min(s, span) / span)));
            default -> base;
        };
    }
}
