package io.nnzip.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The thread team covers every index exactly once, propagates failures, and survives nesting and rival callers. */
class ParallelTest {
    @Test
    void everyIndexOnceForAnyChunking() {
        try (Parallel par = new Parallel(3)) {
            for (int n : new int[] {1, 2, 3, 7, 100, 1001})
                for (int chunks : new int[] {1, 2, 3, 5, 64})
                    for (int rep = 0; rep < 20; rep++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        par.forChunks(n, chunks, (lo, hi) -> {
                            for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + " chunks=" + chunks + " index " + i);
                    }
        }
    }

    @Test
    void guidedCoversEveryIndexOnceInRangesOfAtLeastTheGrain() {
        try (Parallel par = new Parallel(3)) {
            for (int n : new int[] {1, 2, 3, 7, 100, 1001})
                for (int grain : new int[] {1, 2, 5, 64})
                    for (int rep = 0; rep < 20; rep++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        java.util.concurrent.atomic.AtomicInteger shortRanges = new java.util.concurrent.atomic.AtomicInteger();
                        par.forGuided(n, grain, (lo, hi) -> {
                            // only the range that ends the loop may be shorter than the grain
                            if (hi - lo < grain && hi != n) shortRanges.incrementAndGet();
                            for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + " grain=" + grain + " index " + i);
                        assertEquals(0, shortRanges.get(), "n=" + n + " grain=" + grain);
                    }
        }
    }

    @Test
    void guidedCallerTakesWhatAStalledWorkerWouldHave() {
        try (Parallel par = new Parallel(2)) {
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicInteger byCaller = new java.util.concurrent.atomic.AtomicInteger(),
                    byWorker = new java.util.concurrent.atomic.AtomicInteger();
            Thread me = Thread.currentThread();
            int n = 1000;
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            par.forGuided(n, 1, (lo, hi) -> {
                if (Thread.currentThread() != me) {
                    // a worker's range stalls until the caller has run everything else. Each side checks the total
                    // after its own count: the later of the two sees all n (the worker may count its range after the
                    // caller ran the last one, and then must not wait); the timeout only keeps a failure from hanging.
                    if (byWorker.addAndGet(hi - lo) + byCaller.get() < n) {
                        try {
                            if (!release.await(60, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("never released");
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                } else if (byCaller.addAndGet(hi - lo) + byWorker.get() == n) release.countDown();
                for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i);
            // the worker took at most its first range (a quarter of the loop) before it stalled, or none
            org.junit.jupiter.api.Assertions.assertTrue(byWorker.get() <= n / 4, "worker ran " + byWorker.get());
            assertEquals(n, byCaller.get() + byWorker.get());
        }
    }

    @Test
    void guidedFailureReachesCaller() {
        try (Parallel par = new Parallel(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.forGuided(100, 1, (lo, hi) -> {
                if (hi == 100) throw new IllegalStateException("boom");
            }));
            assertEquals("boom", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            par.forGuided(100, 3, (lo, hi) -> {
                for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < 100; i++) assertEquals(1, hits.get(i));
        }
    }

    @Test
    void workerFailureReachesCaller() {
        try (Parallel par = new Parallel(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.forRange(10, 1, (lo, hi) -> {
                if (lo > 0) throw new IllegalStateException("boom");
            }));
            assertEquals("boom", e.getMessage());
            // the team still works afterwards
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            par.forRange(10, 1, (lo, hi) -> {
                for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < 10; i++) assertEquals(1, hits.get(i));
        }
    }

    @Test
    void nestedAndConcurrentCallersRunEverything() throws InterruptedException {
        try (Parallel par = new Parallel(2)) {
            int n = 64;
            AtomicIntegerArray hits = new AtomicIntegerArray(n * n);
            Runnable job = () -> par.forRange(n, 1, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    int row = i;
                    par.forRange(n, 1, (a, b) -> {
                        for (int j = a; j < b; j++) hits.incrementAndGet(row * n + j);
                    });
                }
            });
            Thread other = new Thread(job);
            other.start();
            job.run();
            other.join();
            for (int i = 0; i < n * n; i++) assertEquals(2, hits.get(i), "index " + i);
        }
    }

    /** Fixed spins of 0, 100 µs and 2 ms, and the adaptive one (-1). */
    static final long[] SPINS = {0, 100_000, 2_000_000, -1};

    @Test
    void resultsAreTheSameForAnySpinSetting() throws InterruptedException {
        int n = 10_007, chunks = 6;
        float[] x = new float[n];
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        // the reference: each chunk's sum in index order, computed here without the team
        float[] expected = new float[chunks];
        for (int c = 0; c < chunks; c++)
            for (int i = (int) ((long) n * c / chunks); i < (int) ((long) n * (c + 1) / chunks); i++) expected[c] += x[i];
        for (long spin : SPINS) {
            try (Parallel par = new Parallel(2, spin)) {
                for (int rep = 0; rep < 300; rep++) {
                    if (rep % 100 == 99) Thread.sleep(20); // long idle: the workers park
                    float[] sums = new float[chunks];
                    par.forChunks(n, chunks, (lo, hi) -> {
                        int c = (int) (((long) lo * chunks + chunks - 1) / n); // the chunk starting at lo
                        float s = 0;
                        for (int i = lo; i < hi; i++) s += x[i];
                        sums[c] = s;
                    });
                    for (int c = 0; c < chunks; c++)
                        assertEquals(Float.floatToIntBits(expected[c]), Float.floatToIntBits(sums[c]), "spin " + spin + " chunk " + c);
                }
            }
        }
    }

    @Test
    void workAfterLongIdleCompletesAndFailuresStillReachTheCaller() throws InterruptedException {
        for (long spin : SPINS) {
            try (Parallel par = new Parallel(3, spin)) {
                // back-to-back dispatches first, so an adaptive team has lengthened its spin
                for (int rep = 0; rep < 200; rep++) par.forRange(8, 1, (lo, hi) -> {});
                for (int round = 0; round < 3; round++) {
                    Thread.sleep(30); // far beyond any spin: every worker is parked
                    AtomicIntegerArray hits = new AtomicIntegerArray(100);
                    par.forRange(100, 1, (lo, hi) -> {
                        for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < 100; i++) assertEquals(1, hits.get(i), "spin " + spin + " index " + i);
                    Thread.sleep(30);
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> par.forRange(9, 1, (lo, hi) -> {
                        if (hi == 9) throw new IllegalArgumentException("last chunk");
                    }));
                    assertEquals("last chunk", e.getMessage());
                }
            }
        }
    }
}
