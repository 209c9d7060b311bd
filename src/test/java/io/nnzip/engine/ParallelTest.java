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
}
