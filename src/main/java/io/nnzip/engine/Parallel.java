package io.nnzip.engine;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fixed team of threads for data-parallel loops. The caller runs the first chunk itself, so a team of
 * {@code n} uses {@code n - 1} pooled threads. A loop started from inside another runs serially, which keeps
 * nested kernels from deadlocking the team.
 */
public final class Parallel implements AutoCloseable {
    /** Body of a loop over {@code [lo, hi)}. */
    @FunctionalInterface
    public interface Range {
        void run(int lo, int hi);
    }

    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);
    private static volatile Parallel common;

    private final int threads;
    private final ExecutorService pool;

    public Parallel(int threads) {
        this.threads = Math.max(1, threads);
        this.pool = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads - 1, r -> {
            Thread t = new Thread(r, "nnzip-worker");
            t.setDaemon(true);
            return t;
        });
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
        if (chunks <= 1 || pool == null || INSIDE.get()) {
            body.run(0, n);
            return;
        }
        CountDownLatch done = new CountDownLatch(chunks - 1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int c = 1; c < chunks; c++) {
            int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
            pool.execute(() -> {
                INSIDE.set(true);
                try {
                    body.run(lo, hi);
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                } finally {
                    INSIDE.set(false);
                    done.countDown();
                }
            });
        }
        INSIDE.set(true);
        try {
            body.run(0, (int) ((long) n / chunks));
        } catch (Throwable t) {
            error.compareAndSet(null, t);
        } finally {
            INSIDE.set(false);
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        Throwable t = error.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error er) throw er;
        if (t != null) throw new IllegalStateException(t);
    }

    @Override
    public void close() {
        if (pool != null && this != common) pool.shutdownNow();
    }
}
