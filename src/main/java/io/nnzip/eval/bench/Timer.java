package io.nnzip.eval.bench;

import java.util.Arrays;

/**
 * Steady-state timing on a shared, noisy machine. Several contenders are warmed up (JIT, caches, thread pools),
 * then timed in interleaved rounds (A, B, A, B, ...) so that background load disturbs them alike; each round's
 * per-call time is kept so callers can report the best (least disturbed) round and the median. The calling thread's
 * CPU time is kept too: for single-threaded work it is immune to being descheduled by other processes.
 */
public final class Timer {
    private Timer() {}

    /** Per-call wall-clock and calling-thread CPU times in milliseconds of each round, each sorted ascending. */
    public record Result(double[] roundsMs, double[] cpuMs) {
        public double bestMs() { return roundsMs[0]; }

        public double medianMs() { return roundsMs[roundsMs.length / 2]; }

        public double bestCpuMs() { return cpuMs[0]; }
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * @param warmupMs time spent calling each action before measuring
     * @param rounds   measured rounds per action
     * @param roundMs  target length of one round; at least one call per round
     */
    public static Result[] interleaved(Runnable[] actions, double warmupMs, int rounds, double roundMs) {
        int[] perRound = new int[actions.length];
        for (int a = 0; a < actions.length; a++) {
            // warm-up ends by CPU time as well as wall time: on a loaded machine the JIT needs CPU to finish compiling
            long start = System.nanoTime(), cpu0 = THREADS.getCurrentThreadCpuTime();
            int calls = 0;
            do {
                actions[a].run();
                calls++;
            } while ((System.nanoTime() - start) / 1e6 < warmupMs || (THREADS.getCurrentThreadCpuTime() - cpu0) / 1e6 < warmupMs / 2 || calls < 2);
            double perCall = (System.nanoTime() - start) / 1e6 / calls;
            perRound[a] = (int) Math.max(1, Math.min(1_000_000, Math.round(roundMs / Math.max(perCall, 1e-6))));
        }
        double[][] ms = new double[actions.length][rounds], cpu = new double[actions.length][rounds];
        for (int r = 0; r < rounds; r++)
            for (int a = 0; a < actions.length; a++) {
                settle();
                long c0 = THREADS.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                for (int i = 0; i < perRound[a]; i++) actions[a].run();
                ms[a][r] = (System.nanoTime() - t0) / 1e6 / perRound[a];
                cpu[a][r] = (THREADS.getCurrentThreadCpuTime() - c0) / 1e6 / perRound[a];
            }
        Result[] out = new Result[actions.length];
        for (int a = 0; a < actions.length; a++) {
            Arrays.sort(ms[a]);
            Arrays.sort(cpu[a]);
            out[a] = new Result(ms[a], cpu[a]);
        }
        return out;
    }

    /**
     * ONNX Runtime's intra-op workers keep spinning for a while after a run; timing the other side straight after
     * would lend them one of its cores. A short pause lets them park, so each side is timed on an idle machine
     * while ORT keeps its default (spinning) thread pool.
     */
    static void settle() {
        try {
            Thread.sleep(SETTLE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static final long SETTLE_MS = 30;

    public static Result time(Runnable action, double warmupMs, int rounds, double roundMs) {
        return interleaved(new Runnable[] {action}, warmupMs, rounds, roundMs)[0];
    }
}
