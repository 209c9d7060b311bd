package io.nnzip.engine;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * How long a {@link Parallel} team's idle threads poll for the next job before parking, chosen from what the team
 * has measured itself: the gaps between its dispatches and what a parked worker's wake-up cost.
 * <p>Parking is cheap in CPU but each wake-up delays the next parallel region by the wake latency; spinning hides
 * that latency but burns a core that another thread (the JIT's compilers in a warming JVM, the garbage collector,
 * another process) could use. For each candidate budget the policy sums, over the recent gaps, the CPU it would
 * spin ({@code α × min(gap, budget)}) plus the wake latency of every gap the budget misses, and keeps the cheapest.
 * Back-to-back regions (gaps shorter than a wake-up is worth) so get a long spin; long or irregular gaps get a
 * short one.
 * <p>That sum prices spun CPU as nearly free, which holds only while no other thread wants the core. Two signs that
 * one does switch the team to a short spin ({@link #CONTENDED_NANOS}) whatever the gaps: a spinning thread saw its
 * own clock jump, or a parked one took milliseconds to run again (it was descheduled or queued: the cores are
 * oversubscribed, and with the team in one scheduling group its spin is taken from its own working thread), or the
 * JIT's compilers were busy (in a warming JVM a spinning worker takes the second core from the compiler threads,
 * which slows warm-up more than wake-ups cost).
 * <p>Gaps are fed by the thread that dispatches (under the team's lock); the budget is read by the workers.
 */
final class SpinPolicy {
    /** Gap buckets: bucket {@code i < LAST} holds gaps below {@code 2^i} µs (and at least {@code 2^(i-1)}); LAST the rest. */
    static final int LAST = 13;
    /** Candidate budgets are bucket edges {@code 2^k} µs, k in [MIN_LOG, MAX_LOG]: 16 µs to 2,048 µs. */
    static final int MIN_LOG = 4, MAX_LOG = 11;
    /** Weight of one spun CPU microsecond against one microsecond of wake latency, with no other thread wanting it. */
    static final double ALPHA = 0.1;
    /** Re-decide after this many gaps; older gaps fade by {@link #DECAY} at each decision. */
    static final int EVERY = 16;
    static final double DECAY = 0.85;
    /** Starting budget and wake cost, before anything was measured (the pre-adaptive fixed spin). */
    static final long START_NANOS = 100_000, START_WAKE_NANOS = 100_000;
    /** The spin while another thread wants the core, and how long a sign of that counts. */
    static final long CONTENDED_NANOS = 16_000, CONTENDED_FOR_NANOS = 1_000_000_000;
    /** A spinning thread whose clock moved this much between two polls was descheduled in between. */
    static final long PREEMPTED_NANOS = 100_000;
    /** A wake-up this slow waited in a run queue: an idle core runs a woken thread well within it. */
    static final long QUEUED_WAKE_NANOS = 2_000_000;

    private final double[] counts = new double[LAST + 1];
    private int sinceDecision;
    private volatile long budgetNanos = START_NANOS;
    /** Running mean of measured wake latencies (ns); written by workers, racy updates only lose a sample. */
    private volatile long wakeNanos = START_WAKE_NANOS;
    /** When a spinning thread last saw itself descheduled, and when the JIT was last seen compiling. */
    private volatile long preemptedAt = Long.MIN_VALUE / 2, compiledAt = Long.MIN_VALUE / 2;
    private final JitProbe jit;

    SpinPolicy(JitProbe jit) { this.jit = jit; }

    SpinPolicy() { this(JitProbe.SHARED); }

    /** The spin budget (ns) for an idle period starting at {@code now}. */
    long budgetNanos(long now) { return contended(now) ? CONTENDED_NANOS : budgetNanos; }

    /** The budget the gaps alone call for. */
    long gapBudgetNanos() { return budgetNanos; }

    boolean contended(long now) {
        return now - preemptedAt < CONTENDED_FOR_NANOS || now - compiledAt < CONTENDED_FOR_NANOS;
    }

    /** A spinning thread's clock moved from {@code before} to {@code now} between two polls. */
    void polled(long before, long now) {
        if (now - before > PREEMPTED_NANOS) preemptedAt = now;
    }

    long wakeNanos() { return wakeNanos; }

    /** A gap of {@code nanos} between the end of one dispatch and the start of the next; dispatching thread only. */
    void gap(long nanos, long now) {
        counts[bucket(nanos)]++;
        if (++sinceDecision >= EVERY) {
            sinceDecision = 0;
            if (jit.compiling(now)) compiledAt = now;
            budgetNanos = choose(counts, wakeNanos, ALPHA);
            for (int i = 0; i <= LAST; i++) counts[i] *= DECAY;
        }
    }

    /** A parked worker took {@code nanos} from being handed a job to running it, at {@code now}. */
    void woke(long nanos, long now) {
        if (nanos > QUEUED_WAKE_NANOS) preemptedAt = now;
        if (nanos < 0 || nanos > 50_000_000) return; // a clock step or a descheduled process, not a wake-up
        long w = wakeNanos;
        wakeNanos = w + (nanos - w) / 8;
    }

    static int bucket(long nanos) {
        long us = nanos / 1000;
        int i = us <= 0 ? 0 : 64 - Long.numberOfLeadingZeros(us); // us in [2^(i-1), 2^i)
        return Math.min(i, LAST);
    }

    /** The budget (ns) minimizing {@code Σ counts × (α × spun + missed × wake)} over the candidate edges. */
    static long choose(double[] counts, long wakeNanos, double alpha) {
        double best = Double.MAX_VALUE;
        long bestBudget = (1L << MIN_LOG) * 1000;
        for (int k = MIN_LOG; k <= MAX_LOG; k++) {
            double budget = (1L << k) * 1000.0, cost = 0;
            for (int i = 0; i <= LAST; i++) {
                if (counts[i] == 0) continue;
                // a bucket's gaps are caught when they all end before the budget does (upper edge 2^i µs)
                boolean caught = i < LAST && i <= k;
                double mid = i == 0 ? 500.0 : 0.75 * (1L << i) * 1000.0;
                cost += counts[i] * (caught ? alpha * mid : alpha * budget + wakeNanos);
            }
            if (cost < best) {
                best = cost;
                bestBudget = (long) budget;
            }
        }
        return bestBudget;
    }

    /**
     * Whether the JIT's compilers were busy: the compilation time the JVM accounts (credited when a compilation ends)
     * grew by at least a tenth of the wall time since the last poll. A trickle of small compilations in a warm JVM
     * does not count; a warming one, whose compiler threads run most of the time, does.
     */
    static class JitProbe {
        static final JitProbe SHARED = new JitProbe();
        static final long POLL_NANOS = 20_000_000;
        private final CompilationMXBean bean;
        private long lastPoll = Long.MIN_VALUE / 2, lastTotal = -1;
        private boolean busy;

        JitProbe() {
            CompilationMXBean b = null;
            try {
                b = ManagementFactory.getCompilationMXBean();
                if (b != null && !b.isCompilationTimeMonitoringSupported()) b = null;
            } catch (Throwable e) {
                // no management: treat the JIT as quiet
            }
            bean = b;
        }

        synchronized boolean compiling(long now) {
            if (bean == null) return false;
            long elapsed = now - lastPoll;
            if (elapsed >= POLL_NANOS) {
                long total = bean.getTotalCompilationTime();
                busy = lastTotal >= 0 && (total - lastTotal) * 1_000_000L * 10 >= Math.min(elapsed, 1_000_000_000L);
                lastTotal = total;
                lastPoll = now;
            }
            return busy;
        }
    }
}
