package io.nnzip.engine;

/**
 * How long a {@link Parallel} team's idle threads poll for the next job before parking, chosen from what the team
 * has measured itself: the gaps between its dispatches and what a parked worker's wake-up cost.
 * <p>Parking is cheap in CPU but each wake-up delays the next parallel region by the wake latency; spinning hides
 * that latency but burns a core that another thread (the JIT's compilers in a warming JVM, the garbage collector,
 * another process) could use. For each candidate budget the policy sums, over the recent gaps, the CPU it would
 * spin ({@code α × min(gap, budget)}) plus the wake latency of every gap the budget misses, and keeps the cheapest.
 * Back-to-back regions (gaps shorter than a wake-up is worth) so get a long spin; long or irregular gaps get a
 * short one.
 * <p>That sum prices spun CPU as nearly free, which holds only while no other thread wants the core. Whether one does
 * is measured, not guessed: a spinning thread's poll interval is well under a microsecond, so an interval longer than
 * {@link #JUMP_NANOS} is time the scheduler gave to someone else, and a parked worker that took longer than
 * {@link #QUEUED_WAKE_NANOS} to run waited in a run queue. The team keeps the share of its watched time (spinning and
 * waking) that was taken that way, fading with a half-life of {@link #HALF_LIFE_NANOS}; above {@link #STEAL_SHARE} it
 * spins only {@link #CONTENDED_NANOS}. A warming JIT is no sign by itself (its compile bursts last seconds, so
 * treating them as contention kept short spins through whole short benchmarks): it counts only for the time its
 * compiler threads actually take from a spinning thread, and a few milliseconds taken are diluted by the clean spins
 * that follow. A loaded machine takes most of every spin, so its share stays high while the load lasts.
 * <p>A contended team cannot see its contention end by itself: it spins only {@link #CONTENDED_NANOS} and parks, so it
 * watches little besides its own wake-ups, and one slow wake-up among them keeps the share up (every park is a
 * wake-up to measure). So once a contended team has waited {@link #PROBE_NANOS} it re-probes: the next run
 * ({@link Parallel#beginRun()}) drops the old evidence and polls as an uncontended team would, which watches the
 * whole pass. On cores no other thread wants the share stays low and the team stays uncontended; on a loaded machine
 * the first descheduled polls bring the sign back within the pass, and the next probe waits twice as long (up to
 * {@link #MAX_PROBE_NANOS}), so a machine under lasting load pays for few probes.
 * <p>Gaps are fed by the thread that dispatches (under the team's lock); spin and wake reports come from every thread.
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
    /** The spin while other threads take the cores. */
    static final long CONTENDED_NANOS = 16_000;
    /** A poll interval this long was time the spinning thread did not run (a spin poll takes well under 1 µs). */
    static final long JUMP_NANOS = 50_000;
    /** A wake-up this slow waited in a run queue: an idle core runs a woken thread well within it. */
    static final long QUEUED_WAKE_NANOS = 2_000_000;
    /**
     * Contended when at least this share of the watched time was taken by other threads. A loaded machine takes 80–100 %
     * of it; an idle one, through GC pauses, compile threads and the VM's own preemptions, crept past 20 % within a
     * dozen cold passes of the ViT and made the team park in every loop (passes 1.3–1.6× ORT's instead of 0.9–1.1×;
     * BENCHMARKS.md, lead, session 16).
     */
    static final double STEAL_SHARE = 0.5;
    /** Watched and taken time fade by half over this; below {@link #MIN_WATCHED_NANOS} watched, nothing is concluded. */
    static final long HALF_LIFE_NANOS = 200_000_000, MIN_WATCHED_NANOS = 1_000_000;

    /**
     * A contended team re-probes after this long, doubled after each probe that found contention, up to the max. The
     * cap is short because a failed probe costs little (its first millisecond of descheduled polls ends it) while a
     * missed recovery costs a park and a wake-up per loop for the whole wait: a warming JIT fails the probes of the
     * first seconds, and a cap of seconds would then keep the first passes after it parking.
     */
    static final long PROBE_NANOS = 200_000_000, MAX_PROBE_NANOS = 1_000_000_000;

    private final double[] counts = new double[LAST + 1];
    private int sinceDecision;
    private volatile long budgetNanos = START_NANOS;
    /** Running mean of measured wake latencies (ns); written by workers, racy updates only lose a sample. */
    private volatile long wakeNanos = START_WAKE_NANOS;
    /** Faded sums (ns) of the time the team watched (spinning, waking) and of the part of it other threads took. */
    private double watched, taken;
    private long fadedAt = Long.MIN_VALUE;
    private volatile boolean contended;
    /** The share of watched time taken above which the team counts as contended; {@link #STEAL_SHARE} but in tests. */
    private final double stealShare;
    /** The current wait between probes, when the next one is due, and whether one is under way (all under the lock). */
    private final long firstProbeNanos;
    private long probeEvery, nextProbeAt;
    private boolean probing;
    private long probes;
    /**
     * Cumulative stop-the-world GC time (ns), and per reporting thread its value at that thread's last report: a GC
     * pause stops the team's threads as a busy core would, but it is this process's own work, not another thread
     * wanting the core, so it is not counted as taken (it made an idle team look contended late in cold runs;
     * BENCHMARKS.md, session 17). The stamp is per thread because one pause stops every spinning thread, and each
     * reports it in its own descheduled time.
     */
    private final java.util.function.LongSupplier gcNanos;
    private final ThreadLocal<long[]> lastGc;

    SpinPolicy() { this(STEAL_SHARE); }

    SpinPolicy(double stealShare) { this(stealShare, PROBE_NANOS); }

    SpinPolicy(double stealShare, long probeNanos) { this(stealShare, probeNanos, GcPauses::nanos); }

    SpinPolicy(double stealShare, long probeNanos, java.util.function.LongSupplier gcNanos) {
        this.gcNanos = gcNanos;
        long atStart = gcNanos.getAsLong();
        this.lastGc = ThreadLocal.withInitial(() -> new long[] {atStart});
        this.stealShare = stealShare;
        this.firstProbeNanos = probeNanos;
        this.probeEvery = probeNanos;
    }

    /** The spin budget (ns) for an idle period starting at {@code now}. */
    long budgetNanos(long now) { return contended ? CONTENDED_NANOS : budgetNanos; }

    /** The budget the gaps alone call for. */
    long gapBudgetNanos() { return budgetNanos; }

    /** Whether other threads took more than {@link #STEAL_SHARE} of the recently watched time. */
    boolean contended(long now) { return contended; }

    /** The share of the recently watched time that other threads took (0 before anything was watched). */
    synchronized double takenShare() { return watched <= 0 ? 0 : taken / watched; }

    /**
     * A thread spun from some start to its last poll at {@code now}, {@code spunNanos} in all, of which
     * {@code takenNanos} were poll intervals longer than {@link #JUMP_NANOS} (descheduled).
     */
    void spun(long spunNanos, long takenNanos, long now) {
        if (spunNanos <= 0) return;
        watch(spunNanos, takenNanos, now);
    }

    long wakeNanos() { return wakeNanos; }

    /** A gap of {@code nanos} between the end of one dispatch and the start of the next; dispatching thread only. */
    void gap(long nanos, long now) {
        counts[bucket(nanos)]++;
        if (++sinceDecision >= EVERY) {
            sinceDecision = 0;
            budgetNanos = choose(counts, wakeNanos, ALPHA);
            for (int i = 0; i <= LAST; i++) counts[i] *= DECAY;
        }
    }

    /** A parked worker took {@code nanos} from being handed a job to running it, at {@code now}. */
    void woke(long nanos, long now) {
        if (nanos < 0 || nanos > 50_000_000) return; // a clock step or a descheduled process, not a wake-up
        // a wake-up that waited in a run queue: all of it was another thread's time
        watch(nanos, nanos > QUEUED_WAKE_NANOS ? nanos : 0, now);
        long w = wakeNanos;
        wakeNanos = w + (nanos - w) / 8;
    }

    /**
     * A run starts at {@code now} on a contended team: when a probe is due, forget the evidence gathered while parking
     * and count as uncontended until the run's own polls say otherwise. Returns whether it probes.
     */
    synchronized boolean probe(long now) {
        if (!contended || probing || now - nextProbeAt < 0) return false;
        watched = 0;
        taken = 0;
        fadedAt = now;
        contended = false;
        probing = true;
        probes++;
        return true;
    }

    /** The last open run ended at {@code now}: a probe that did not find contention resets the wait between probes. */
    synchronized void runEnded(long now) {
        if (!probing) return;
        probing = false;
        probeEvery = firstProbeNanos;
    }

    /** Probes started so far; for profiling. */
    synchronized long probes() { return probes; }

    /** Whether a probe is under way; for tests. */
    synchronized boolean probing() { return probing; }

    private synchronized void watch(long nanos, long takenNanos, long now) {
        if (fadedAt != Long.MIN_VALUE && now > fadedAt) {
            double f = Math.pow(0.5, (double) (now - fadedAt) / HALF_LIFE_NANOS);
            watched *= f;
            taken *= f;
        }
        if (fadedAt == Long.MIN_VALUE || now > fadedAt) fadedAt = now;
        watched += nanos;
        long[] seen = lastGc.get();
        long gc = gcNanos.getAsLong(), gcDelta = Math.max(0, gc - seen[0]);
        seen[0] = gc;
        taken += Math.max(0, Math.min(nanos, Math.max(0, takenNanos)) - gcDelta);
        boolean was = contended;
        contended = watched >= MIN_WATCHED_NANOS && taken >= stealShare * watched;
        if (contended && !was) {
            if (probing) { // the probe found the cores still taken: wait longer before the next
                probing = false;
                probeEvery = Math.min(MAX_PROBE_NANOS, 2 * probeEvery);
            }
            nextProbeAt = now + probeEvery;
        }
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
}
