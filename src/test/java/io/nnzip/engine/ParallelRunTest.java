package io.nnzip.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * Run-scoped polling, judged by the workers' thread states and CPU time (never by wall time): inside a run they poll
 * (runnable) even across pauses far beyond any adaptive spin, nested runs keep them polling until the outer one ends,
 * and after the last run they park and use no CPU. A team that counts as contended parks inside a run too. The
 * contention threshold is pinned (never / at once) so the outcome does not depend on this machine's load.
 */
class ParallelRunTest {
    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Test
    void workersPollThroughARunAndParkAfterIt() throws InterruptedException {
        try (Parallel par = new Parallel(3, -1, new SpinPolicy(Double.POSITIVE_INFINITY))) {
            Thread[] ws = par.workerThreads();
            awaitParked(ws);
            par.beginRun();
            par.beginRun(); // a nested run, as an Executor inside a kernel of another
            try {
                // woken by beginRun, before any loop was posted
                awaitState(ws, Thread.State.RUNNABLE);
                Thread.sleep(50); // beyond any adaptive budget (at most 2 ms): outside a run they would park
                assertAll(ws, Thread.State.RUNNABLE, "inside a run, after a pause");
                coversEveryIndex(par);
                Thread.sleep(20);
                assertAll(ws, Thread.State.RUNNABLE, "inside a run, after a loop and a pause");
                par.endRun();
                Thread.sleep(50);
                assertAll(ws, Thread.State.RUNNABLE, "inner run ended, outer still open");
                coversEveryIndex(par);
            } finally {
                par.endRun();
            }
            assertFalse(par.inRun());
            awaitParked(ws);
            long cpu0 = cpu(ws);
            Thread.sleep(200);
            long spent = cpu(ws) - cpu0;
            // a thread still polling would have used most of these 200 ms of CPU (tens of ms even on a loaded machine)
            assertTrue(spent < 5_000_000, "workers used " + spent / 1e6 + " ms CPU after the run");
            assertAll(ws, Thread.State.WAITING, "after the run");
            // and a new run works from parked threads
            par.beginRun();
            try {
                coversEveryIndex(par);
            } finally {
                par.endRun();
            }
        }
    }

    @Test
    void aContendedTeamParksInsideARun() throws InterruptedException {
        try (Parallel par = new Parallel(3, -1, new SpinPolicy(0))) {
            Thread[] ws = par.workerThreads();
            par.beginRun();
            try {
                // polls reported at each hand-over: with a zero threshold, a millisecond watched is contention
                for (int i = 0; i < 5; i++) {
                    coversEveryIndex(par);
                    Thread.sleep(2);
                }
                assertTrue(par.spinPolicy().contended(System.nanoTime()));
                awaitParked(ws);
                Thread.sleep(20);
                assertAll(ws, Thread.State.WAITING, "contended, inside a run");
                coversEveryIndex(par);
            } finally {
                par.endRun();
            }
        }
    }

    @Test
    void aContendedTeamProbesWhenDueAndPollsThroughThatRun() throws InterruptedException {
        // threshold 0.5; the evidence is fed by hand (2 ms, all taken) so the sign does not depend on this machine's load
        try (Parallel notDue = new Parallel(3, -1, new SpinPolicy(0.5, 3_600_000_000_000L));
             Parallel due = new Parallel(3, -1, new SpinPolicy(0.5, 0))) {
            for (Parallel par : new Parallel[] {notDue, due}) {
                awaitParked(par.workerThreads());
                par.spinPolicy().spun(2_000_000, 2_000_000, System.nanoTime());
                assertTrue(par.spinPolicy().contended(System.nanoTime()));
            }
            notDue.beginRun();
            try {
                Thread.sleep(50);
                assertAll(notDue.workerThreads(), Thread.State.WAITING, "contended, no probe due");
                assertTrue(notDue.spinPolicy().contended(System.nanoTime()));
                coversEveryIndex(notDue);
            } finally {
                notDue.endRun();
            }
            due.beginRun();
            try {
                // no loop posted yet, so no spin was reported: the probe's verdict is still open and they poll
                awaitState(due.workerThreads(), Thread.State.RUNNABLE);
                Thread.sleep(50);
                assertAll(due.workerThreads(), Thread.State.RUNNABLE, "probing run, after a pause");
                assertTrue(due.spinPolicy().probing());
                coversEveryIndex(due);
            } finally {
                due.endRun();
            }
            assertFalse(due.spinPolicy().probing());
        }
    }

    @Test
    void unbalancedEndIsRejected() {
        try (Parallel par = new Parallel(2)) {
            assertThrows(IllegalStateException.class, par::endRun);
            par.beginRun();
            par.endRun();
            assertFalse(par.inRun());
        }
    }

    @Test
    void executorClosesItsRunEvenWhenThePassFails() throws InterruptedException {
        GraphBuilder b = new GraphBuilder("relu");
        String x = b.input("x", DType.FLOAT, 4, 8);
        b.output(b.op("Relu", x), DType.FLOAT, 4, 8);
        Model m = b.build(17);
        try (Parallel par = new Parallel(2, -1)) {
            Executor ex = new Executor(m, par);
            float[] v = new float[32];
            for (int i = 0; i < v.length; i++) v[i] = i - 16;
            float[] y = ex.run(Map.of("x", Tensor.of(v, 4, 8))).values().iterator().next().floats();
            for (int i = 0; i < v.length; i++) assertEquals(Math.max(0, i - 16), y[i], 0f);
            assertFalse(par.inRun());
            assertThrows(NnzipException.class, () -> ex.run(Map.of("x", Tensor.of(new float[6], 2, 3))));
            assertFalse(par.inRun());
            awaitParked(par.workerThreads());
        }
    }

    static void coversEveryIndex(Parallel par) {
        AtomicIntegerArray hits = new AtomicIntegerArray(100);
        par.forRange(100, 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
        });
        for (int i = 0; i < 100; i++) assertEquals(1, hits.get(i), "index " + i);
    }

    static void assertAll(Thread[] ws, Thread.State want, String when) {
        for (Thread w : ws) assertEquals(want, w.getState(), when);
    }

    static void awaitParked(Thread[] ws) throws InterruptedException { awaitState(ws, Thread.State.WAITING); }

    /** Waits for every thread to reach {@code want}; the deadline only bounds a hang, it measures nothing. */
    static void awaitState(Thread[] ws, Thread.State want) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        for (Thread w : ws)
            while (w.getState() != want) {
                if (System.nanoTime() > deadline) throw new AssertionError(w.getName() + " stayed " + w.getState() + ", expected " + want);
                Thread.sleep(1);
            }
    }

    static long cpu(Thread[] ws) {
        long s = 0;
        for (Thread w : ws) s += THREADS.getThreadCpuTime(w.threadId());
        return s;
    }
}
