package io.nnzip.engine;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads for data-parallel loops. The caller runs the first chunk itself, so a team of
 * {@code n} uses {@code n - 1} pooled threads. A loop started from inside another runs serially, which keeps
 * nested kernels from deadlocking the team; so does a loop started while another thread has the team.
 * <p>Workers spin briefly after each chunk before parking: back-to-back kernels (the layers of one forward pass,
 * the blocks of one GEMM) then hand work over in well under a microsecond instead of paying a thread wake-up each.
 */
public final class Parallel implements AutoCloseable {
    /** Body of a loop over {@code [lo, hi)}. */
    @FunctionalInterface
    public interface Range {
        void run(int lo, int hi);
    }

    /** How long an idle worker, or a caller waiting for its workers, polls before parking. */
    static final long SPIN_NANOS = Long.getLong("nnzip.spinMicros", 100) * 1000;

    /** Times a worker parked (and so had to be woken for its next job); for profiling wake-up cost. */
    static final java.util.concurrent.atomic.LongAdder PARKS = new java.util.concurrent.atomic.LongAdder();

    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);
    private static volatile Parallel common;

    private final int threads;
    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private volatile Thread caller;
    private volatile boolean closed;

    public Parallel(int threads) {
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
        if (chunks <= 1 || workers.length == 0 || INSIDE.get() || closed || !busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            // more chunks than threads: each thread takes a contiguous run of chunks
            int parts = Math.min(chunks, threads);
            int nChunks = chunks;
            error.set(null);
            caller = Thread.currentThread();
            pending.set(parts - 1);
            for (int t = 1; t < parts; t++) {
                int c0 = nChunks * t / parts, c1 = nChunks * (t + 1) / parts;
                workers[t - 1].post(() -> runChunks(n, nChunks, c0, c1, body));
            }
            INSIDE.set(true);
            try {
                runChunks(n, nChunks, 0, nChunks / parts, body);
            } catch (Throwable e) {
                error.compareAndSet(null, e);
            } finally {
                INSIDE.set(false);
            }
            awaitWorkers();
            Throwable t = error.get();
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error er) throw er;
            if (t != null) throw new IllegalStateException(t);
        } finally {
            caller = null;
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
        long start = System.nanoTime();
        while (pending.get() > 0) {
            if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 50_000);
        }
    }

    /** A pooled thread that runs one posted job at a time. */
    private final class Worker extends Thread {
        private volatile Runnable job;

        Worker() {
            super("nnzip-worker");
            setDaemon(true);
        }

        void post(Runnable r) {
            job = r;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            INSIDE.set(true);
            while (!closed) {
                Runnable r = job;
                if (r == null) {
                    idle();
                    continue;
                }
                job = null;
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
            long start = System.nanoTime();
            while (job == null && !closed) {
                if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                else {
                    PARKS.increment();
                    LockSupport.park(this);
                }
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
