package io.nnzip.eval.bench;

import java.util.Arrays;

/**
 * Steady-state timing of a repeatable action on a shared, noisy machine: warm up (JIT, caches, thread pools), then
 * time several rounds of back-to-back calls and keep every round's per-call time, so callers can report the best
 * (least disturbed) and the median.
 */
public final class Timer {
    private Timer() {}

    /** Per-call times in milliseconds of each round, sorted ascending. */
    public record Result(double[] roundsMs) {
        public double bestMs() { return roundsMs[0]; }

        public double medianMs() { return roundsMs[roundsMs.length / 2]; }
    }

    /**
     * @param warmupMs time spent calling before measuring
     * @param rounds   measured rounds
     * @param roundMs  target length of one round; at least one call per round
     */
    public static Result time(Runnable action, double warmupMs, int rounds, double roundMs) {
        long start = System.nanoTime();
        int calls = 0;
        do {
            action.run();
            calls++;
        } while ((System.nanoTime() - start) / 1e6 < warmupMs || calls < 2);
        double perCall = (System.nanoTime() - start) / 1e6 / calls;
        int perRound = (int) Math.max(1, Math.min(1_000_000, Math.round(roundMs / Math.max(perCall, 1e-6))));
        double[] ms = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < perRound; i++) action.run();
            ms[r] = (System.nanoTime() - t0) / 1e6 / perRound;
        }
        Arrays.sort(ms);
        return new Result(ms);
    }
}
