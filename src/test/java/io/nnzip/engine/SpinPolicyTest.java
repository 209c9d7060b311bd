package io.nnzip.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The spin policy picks its budget from gap counts the test hands it (no clocks, no threads): long for back-to-back
 * work, short for long gaps or a busy core. The expected budgets are worked out by hand from the cost model in the
 * comments, independently of the code's own search.
 */
class SpinPolicyTest {
    /** A JIT probe that reports a fixed state, so the outcome does not depend on this JVM's own warm-up. */
    static final class FixedJit extends SpinPolicy.JitProbe {
        volatile boolean compiling;

        @Override
        synchronized boolean compiling(long now) { return compiling; }
    }

    @Test
    void bucketsArePowersOfTwoMicroseconds() {
        assertEquals(0, SpinPolicy.bucket(999));       // < 1 µs
        assertEquals(1, SpinPolicy.bucket(1_000));     // [1, 2) µs
        assertEquals(9, SpinPolicy.bucket(300_000));   // [256, 512) µs
        assertEquals(9, SpinPolicy.bucket(511_999));
        assertEquals(10, SpinPolicy.bucket(512_000));
        assertEquals(SpinPolicy.LAST, SpinPolicy.bucket(20_000_000));
        assertEquals(SpinPolicy.LAST, SpinPolicy.bucket(Long.MAX_VALUE));
    }

    @Test
    void choiceMatchesAHandCount() {
        double[] counts = new double[SpinPolicy.LAST + 1];
        // 10 gaps of ~300 µs (bucket 9, priced at its 384 µs middle), wake-up 400 µs, α 0.1:
        // budget 16..256 µs misses them: 10 × (0.1 × budget + 400); budget 512 µs catches them: 10 × 38.4 = 384.
        // budget 1,024 / 2,048 µs costs the same 384, and ties keep the first (smallest) candidate: 512 µs.
        counts[9] = 10;
        assertEquals(512_000, SpinPolicy.choose(counts, 400_000, 0.1));
        // the same gaps with a cheap wake-up (20 µs): missing costs 10 × (1.6 + 20) = 216 at 16 µs < 384: park early
        assertEquals(16_000, SpinPolicy.choose(counts, 20_000, 0.1));
        // add 2 gaps of 20 ms (never caught): each costs 0.1 × budget + 400 at any budget. 512 µs: 384 + 2 × 451.2
        // = 1286.4; 16 µs: 10 × 401.6 + 2 × 401.6 = 4819.2. Long gaps among short ones keep the long spin.
        counts[SpinPolicy.LAST] = 2;
        assertEquals(512_000, SpinPolicy.choose(counts, 400_000, 0.1));
        // only long gaps: every budget misses them all, the smallest wastes least
        double[] longOnly = new double[SpinPolicy.LAST + 1];
        longOnly[SpinPolicy.LAST] = 5;
        assertEquals(16_000, SpinPolicy.choose(longOnly, 400_000, 0.1));
        // gaps of 1.5 ms (bucket 11, middle 1,536 µs) need the 2,048 µs budget: 0.1 × 1536 = 153.6 < 0.1 × 16 + 400
        double[] slow = new double[SpinPolicy.LAST + 1];
        slow[11] = 4;
        assertEquals(2_048_000, SpinPolicy.choose(slow, 400_000, 0.1));
    }

    @Test
    void backToBackGapsLengthenTheSpinAndLongGapsShortenIt() {
        FixedJit jit = new FixedJit();
        SpinPolicy p = new SpinPolicy(jit);
        for (int i = 0; i < 64; i++) p.woke(400_000, 0);
        long now = 1_000_000_000L;
        for (int i = 0; i < 4 * SpinPolicy.EVERY; i++) p.gap(300_000, now += 1_000_000);
        assertTrue(p.budgetNanos(now) >= 512_000, "budget " + p.budgetNanos(now));
        // the work dries up: gaps of 50 ms fade the short ones out
        for (int i = 0; i < 40 * SpinPolicy.EVERY; i++) p.gap(50_000_000, now += 50_000_000);
        assertEquals(16_000, p.budgetNanos(now));
    }

    @Test
    void aBusyCoreOrACompilingJitShortensTheSpin() {
        FixedJit jit = new FixedJit();
        SpinPolicy p = new SpinPolicy(jit);
        for (int i = 0; i < 64; i++) p.woke(400_000, 0);
        long now = 1_000_000_000L;
        for (int i = 0; i < 4 * SpinPolicy.EVERY; i++) p.gap(300_000, now += 1_000_000);
        long longSpin = p.budgetNanos(now);
        assertTrue(longSpin >= 512_000);
        // a spinning thread whose clock jumped 2 ms between polls was descheduled
        p.polled(now, now + 1_000);
        assertFalse(p.contended(now + 1_000), "a 1 µs poll interval is no preemption");
        p.polled(now, now + 2_000_000);
        now += 2_000_000;
        assertTrue(p.contended(now));
        assertEquals(SpinPolicy.CONTENDED_NANOS, p.budgetNanos(now));
        // the sign fades
        now += SpinPolicy.CONTENDED_FOR_NANOS + 1;
        assertEquals(longSpin, p.budgetNanos(now));
        // a parked worker that took 5 ms to run again waited in a run queue
        p.woke(5_000_000, now);
        assertEquals(SpinPolicy.CONTENDED_NANOS, p.budgetNanos(now));
        now += SpinPolicy.CONTENDED_FOR_NANOS + 1;
        assertEquals(longSpin, p.budgetNanos(now), "one slow wake-up moves the mean little: " + p.wakeNanos());
        // the JIT compiling is seen at the next decision
        jit.compiling = true;
        for (int i = 0; i < SpinPolicy.EVERY; i++) p.gap(300_000, now += 1_000_000);
        assertEquals(SpinPolicy.CONTENDED_NANOS, p.budgetNanos(now));
        jit.compiling = false;
        for (int i = 0; i < SpinPolicy.EVERY; i++) p.gap(300_000, now += 1_000_000);
        now += SpinPolicy.CONTENDED_FOR_NANOS + 1;
        assertEquals(longSpin, p.budgetNanos(now));
    }

    @Test
    void wakeCostIsARunningMeanThatIgnoresNonsense() {
        SpinPolicy p = new SpinPolicy(new FixedJit());
        for (int i = 0; i < 200; i++) p.woke(30_000, 0);
        assertTrue(Math.abs(p.wakeNanos() - 30_000) < 100, "wake " + p.wakeNanos());
        p.woke(-5, 0);
        p.woke(10_000_000_000L, 0);
        assertTrue(Math.abs(p.wakeNanos() - 30_000) < 100, "wake " + p.wakeNanos());
    }
}
