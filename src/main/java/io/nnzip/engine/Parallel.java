package io.nnzip.engine;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads for data-parallel loops. The caller runs the first chunk itself, so a team of
 * {@code n} uses {@code n - 1} pooled threads. A loop started from inside another runs serially, which keeps
 * nested kernels from deadlocking the team; so does a loop started while another thread has the team.
 * <p>Workers spin after each chunk before parking: back-to-back kernels (the layers of one forward pass, the blocks
 * of one GEMM) then hand work over in well under a microsecond instead of paying a thread wake-up each. How long
 * they spin adapts to the gaps between this team's dispatches and to the wake-ups it measured ({@link SpinPolicy});
 * {@code -Dnnzip.spinMicros=N} fixes it instead.
 * <p>A caller about to run many loops in a row (an {@link Executor}'s forward pass) brackets them with
 * {@link #beginRun()} / {@link #endRun()}. While any run is open the idle threads do not park at all, so a pass that
 * starts after a pause pays at most one wake-up (started at {@code beginRun}, overlapping the caller's own first work)
 * instead of one per loop until the adaptive spin has lengthened again; once the last run ends they spin only the
 * adaptive budget, counted from the run's end, and park. Runs are counted, so nested and concurrent runs on a shared
 * team keep it awake until the last one ends. While other threads take the cores (the policy's contention sign) a run
 * changes nothing: a thread that polls through a loaded machine spends its share of the core waiting, and the
 * scheduler then runs it later than a parked thread it wakes, which has used none. Every so often a run of a
 * contended team polls anyway, to measure whether the contention has ended ({@link SpinPolicy#probe}).
 */
public final class Parallel implements AutoCloseable {
    /** Body of a loop over {@code [lo, hi)}. */
    @FunctionalInterface
    public interface Range {
        void run(int lo, int hi);
    }

    /** A fixed time (ns) an idle worker, or a caller waiting for its workers, polls before parking; -1: adaptive. */
    static final long FIXED_SPIN_NANOS = fixedSpin(Long.getLong("nnzip.spinMicros", -1));

    /** Times a worker parked (and so had to be woken for its next job); for profiling wake-up cost. */
    static final java.util.concurrent.atomic.LongAdder PARKS = new java.util.concurrent.atomic.LongAdder();
    /** Nanoseconds callers spent waiting for workers after their own chunks, and loops dispatched; for profiling. */
    static final java.util.concurrent.atomic.LongAdder WAITED = new java.util.concurrent.atomic.LongAdder(),
            LOOPS = new java.util.concurrent.atomic.LongAdder();

    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);
    private static volatile Parallel common;

    private final int threads;
    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private volatile Thread caller;
    private volatile boolean closed;
    private final SpinPolicy spin;
    private final long fixedSpinNanos;
    /** When the last dispatch ended (dispatching thread, under {@link #busy}); 0 before the first. */
    private long lastEnd;
    /** Open runs ({@link #beginRun()} without its {@link #endRun()} yet). */
    private final AtomicInteger runs = new AtomicInteger();
    /** When the last run ended; written before {@link #runs} drops, so a thread seeing no run open sees it. */
    private volatile long runEndedAt = Long.MIN_VALUE;

    public Parallel(int threads) { this(threads, FIXED_SPIN_NANOS); }

    /** A team whose idle threads spin {@code spinNanos} before parking, or adaptively when it is negative. */
    Parallel(int threads, long spinNanos) { this(threads, spinNanos, new SpinPolicy()); }

    Parallel(int threads, long spinNanos, SpinPolicy policy) {
        this.fixedSpinNanos = spinNanos;
        this.spin = policy;
        this.threads = Math.max(1, threads);
        this.workers = new Worker[this.threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            workers[i].start();
        }
    }

    /** A shared team sized to the machine's cores. */
    public static Parallel common() {
        Parallel p = common;
        if (p == null) {
            synchronized (Parallel.class) {
                if (common == null) common = new Parallel(Runtime.getRuntime().availableProcessors());
                p = common;
            }
        }
        return p;
    }

    public int threads() { return threads; }

    static long fixedSpin(long micros) { return micros < 0 ? -1 : micros * 1000; }

    SpinPolicy spinPolicy() { return spin; }

    /** The adaptive policy's running mean of measured wake-ups (ns), for profiling. */
    long wakeNanos() { return spin.wakeNanos(); }

    /**
     * Opens a run: until the matching {@link #endRun()} this team's idle threads poll instead of parking, unless other
     * threads take the cores. The first open run wakes parked threads now, so their wake-up overlaps whatever the
     * caller does before its first loop.
     */
    public void beginRun() {
        if (runs.getAndIncrement() != 0 || fixedSpinNanos >= 0) return;
        long now = System.nanoTime();
        // a contended team polls through this run anyway when a probe is due (SpinPolicy#probe)
        if (!spin.contended(now) || spin.probe(now))
            for (Worker w : workers) LockSupport.unpark(w); // a permit left on a spinning thread only costs it one extra poll
    }

    /** Closes a run opened by {@link #beginRun()}; call it in a {@code finally}. */
    public void endRun() {
        long now = System.nanoTime();
        runEndedAt = now;
        int left = runs.decrementAndGet();
        if (left < 0) {
            runs.incrementAndGet();
            throw new IllegalStateException("endRun without beginRun");
        }
        if (left == 0) spin.runEnded(now);
    }

    /** Whether a run is open; for tests. */
    boolean inRun() { return runs.get() > 0; }

    /** The pooled threads, for tests that check what they do between runs. */
    Thread[] workerThreads() { return workers.clone(); }

    /**
     * Whether a thread idle since {@code idleStart} should still poll at {@code now}: always inside a run on cores no
     * other thread wants, else for {@code budget} (the adaptive budget as it stood at the idle start, or the fixed
     * spin) counted from the later of its idle start and the last run's end.
     */
    private boolean keepPolling(long idleStart, long budget, long now) {
        if (fixedSpinNanos >= 0) return now - idleStart < budget;
        if (runs.get() > 0 && !spin.contended(now)) return true;
        return now - Math.max(idleStart, runEndedAt) < budget;
    }

    /** The spin budget for an idle period starting at {@code now}, fixed for that period outside a run. */
    private long budgetAt(long now) { return fixedSpinNanos >= 0 ? fixedSpinNanos : spin.budgetNanos(now); }

    /** Splits {@code [0, n)} into at most {@link #threads} contiguous ranges, each at least {@code grain} long. */
    public void forRange(int n, int grain, Range body) {
        int chunks = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        forChunks(n, chunks, body);
    }

    public void forRange(int n, Range body) { forRange(n, 1, body); }

    /** Splits {@code [0, n)} into {@code chunks} near-equal ranges run concurrently. */
    public void forChunks(int n, int chunks, Range body) {
        if (n <= 0) return;
        chunks = Math.min(chunks, n);
        if (chunks <= 1 || !claimTeam()) {
            body.run(0, n);
            return;
        }
        // more chunks than threads: each thread takes a contiguous run of chunks
        int parts = Math.min(chunks, threads), nChunks = chunks;
        Runnable[] jobs = new Runnable[parts - 1];
        for (int t = 1; t < parts; t++) {
            int c0 = nChunks * t / parts, c1 = nChunks * (t + 1) / parts;
            jobs[t - 1] = () -> runChunks(n, nChunks, c0, c1, body);
        }
        dispatch(jobs, () -> runChunks(n, nChunks, 0, nChunks / parts, body), false);
    }

    /**
     * Runs {@code body} over {@code [0, n)} in ranges the threads take as they come free, largest first (each a
     * share of what is left, at least {@code grain} long), so a thread that starts late or runs slower (a worker
     * still waking after a pause, a core another process shares) takes less and the caller never waits for a worker
     * that has not started: such a worker's turn is taken back. For bodies whose result for an index does not depend
     * on where the range is cut; which thread runs which range varies from call to call.
     */
    public void forGuided(int n, int grain, Range body) {
        if (n <= 0) return;
        grain = Math.max(1, grain);
        if (n <= grain || !claimTeam()) {
            body.run(0, n);
            return;
        }
        int g = grain, share = 2 * threads;
        AtomicInteger next = new AtomicInteger();
        Runnable take = () -> {
            while (true) {
                int lo = next.get();
                if (lo >= n) return;
                int hi = Math.min(n, lo + Math.max(g, (n - lo) / share));
                if (next.compareAndSet(lo, hi)) body.run(lo, hi);
            }
        };
        Runnable[] jobs = new Runnable[Math.min(threads, (n + g - 1) / g) - 1];
        java.util.Arrays.fill(jobs, take);
        dispatch(jobs, take, true);
    }

    /** Takes the team for one loop; false when the loop must run serially on the caller. */
    private boolean claimTeam() {
        return workers.length > 0 && !INSIDE.get() && !closed && busy.compareAndSet(false, true);
    }

    /**
     * Posts {@code jobs[t]} to worker {@code t}, runs {@code mine} on the caller, waits for the workers and rethrows
     * the first failure; releases the team. With {@code retract}, a job no worker has taken when the caller's own
     * part is done is withdrawn instead of waited for (its work was taken by others).
     */
    private void dispatch(Runnable[] jobs, Runnable mine, boolean retract) {
        long start = System.nanoTime();
        if (lastEnd != 0) spin.gap(start - lastEnd, start);
        try {
            error.set(null);
            caller = Thread.currentThread();
            pending.set(jobs.length);
            for (int t = 0; t < jobs.length; t++) workers[t].post(jobs[t], start);
            INSIDE.set(true);
            try {
                mine.run();
            } catch (Throwable e) {
                error.compareAndSet(null, e);
            } finally {
                INSIDE.set(false);
            }
            if (retract)
                for (int t = 0; t < jobs.length; t++)
                    if (workers[t].retract(jobs[t])) pending.decrementAndGet();
            long w0 = System.nanoTime();
            awaitWorkers();
            WAITED.add(System.nanoTime() - w0);
            LOOPS.increment();
            Throwable t = error.get();
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error er) throw er;
            if (t != null) throw new IllegalStateException(t);
        } finally {
            caller = null;
            lastEnd = System.nanoTime();
            busy.set(false);
        }
    }

    private static void runChunks(int n, int chunks, int c0, int c1, Range body) {
        for (int c = c0; c < c1; c++) {
            int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
            if (lo < hi) body.run(lo, hi);
        }
    }

    private void awaitWorkers() {
        long start = System.nanoTime(), budget = budgetAt(start), from = start, prev = start, taken = 0;
        boolean polling = true;
        while (pending.get() > 0) {
            long now = System.nanoTime();
            if (polling && now - prev > SpinPolicy.JUMP_NANOS) taken += now - prev;
            if (keepPolling(start, budget, now)) {
                if (!polling) {
                    polling = true;
                    from = now;
                    taken = 0;
                }
                prev = now;
                Thread.onSpinWait();
            } else {
                if (polling) spin.spun(now - from, taken, now);
                polling = false;
                LockSupport.parkNanos(this, 50_000);
            }
        }
        if (polling) spin.spun(prev - from, taken, prev);
    }

    /** A pooled thread that runs one posted job at a time. */
    private final class Worker extends Thread {
        private final AtomicReference<Runnable> job = new AtomicReference<>();
        private volatile long postedAt;

        Worker() {
            super("nnzip-worker");
            setDaemon(true);
        }

        void post(Runnable r, long now) {
            postedAt = now;
            job.set(r);
            LockSupport.unpark(this);
        }

        /** Withdraws {@code r} if this thread has not taken it yet; then it never runs. */
        boolean retract(Runnable r) { return job.compareAndSet(r, null); }

        @Override
        public void run() {
            INSIDE.set(true);
            while (!closed) {
                Runnable r = job.getAndSet(null);
                if (r == null) {
                    idle();
                    continue;
                }
                try {
                    r.run();
                } catch (Throwable e) {
                    error.compareAndSet(null, e);
                }
                if (pending.decrementAndGet() == 0) {
                    Thread c = caller;
                    if (c != null) LockSupport.unpark(c);
                }
            }
        }

        private void idle() {
            long start = System.nanoTime(), budget = budgetAt(start), from = start, prev = start, taken = 0;
            boolean polling = true;
            while (job.get() == null && !closed) {
                long now = System.nanoTime();
                // a poll interval that long was time the scheduler gave another thread
                if (polling && now - prev > SpinPolicy.JUMP_NANOS) taken += now - prev;
                if (keepPolling(start, budget, now)) {
                    if (!polling) { // woken by beginRun: poll for the run's next loop
                        polling = true;
                        from = now;
                        taken = 0;
                    }
                    prev = now;
                    Thread.onSpinWait();
                } else {
                    if (polling) {
                        PARKS.increment();
                        spin.spun(now - from, taken, now);
                    }
                    polling = false;
                    LockSupport.park(this);
                }
            }
            if (polling) spin.spun(prev - from, taken, prev);
            // what this wake-up cost: from the job's hand-over to this thread running again
            if (!polling && job.get() != null) {
                long now = System.nanoTime();
                spin.woke(now - postedAt, now);
            }
        }
    }

    @Override
    public void close() {
        if (this == common) return;
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }
}
