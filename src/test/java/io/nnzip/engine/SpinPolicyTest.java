package io.nnzip.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The spin policy picks its budget from gap counts and spin/wake reports the test hands it with a fake clock (no
 * threads): long for back-to-back work, short for long gaps or while other threads take a large share of the spun
 * time; a warming JIT's few stolen milliseconds do not hold the short spin. The expected budgets are worked out by hand from the cost model in the
 * comments, independently of the code's own search.
 */
class SpinPolicyTest {
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

    /**
     * A policy whose gaps call for a long spin: back-to-back gaps of 300 µs, wake-ups of 400 µs measured 10 s before
     * {@code now} (their watched time has faded away: the scenarios start from no evidence of contention either way).
     */
    private static SpinPolicy warm(long now) {
        SpinPolicy p = new SpinPolicy();
        for (int i = 0; i < 64; i++) p.woke(400_000, now - 10_000_000_000L);
        for (int i = 0; i < 4 * SpinPolicy.EVERY; i++) p.gap(300_000, now += 1_000);
        return p;
    }

    @Test
    void backToBackGapsLengthenTheSpinAndLongGapsShortenIt() {
        long now = 1_000_000_000L;
        SpinPolicy p = warm(now);
        now += 1_000_000;
        assertTrue(p.budgetNanos(now) >= 512_000, "budget " + p.budgetNanos(now));
        // the work dries up: gaps of 50 ms fade the short ones out
        for (int i = 0; i < 40 * SpinPolicy.EVERY; i++) p.gap(50_000_000, now += 50_000_000);
        assertEquals(16_000, p.budgetNanos(now));
    }

    @Test
    void aWarmingJitThatTakesAFewMillisecondsIsDilutedByTheCleanSpinsAfterIt() {
        long now = 1_000_000_000L;
        SpinPolicy p = warm(now);
        long longSpin = p.gapBudgetNanos();
        // a compile burst preempts a spinner: 3 ms watched, 2.5 ms of it taken (83 %): contended at once
        p.spun(3_000_000, 2_500_000, now += 3_000_000);
        assertTrue(p.contended(now));
        assertEquals(SpinPolicy.CONTENDED_NANOS, p.budgetNanos(now));
        // then short clean spins, 16 µs every 100 µs. Without fading, 2.5 / (3 + 0.016 n) < 0.5 needs n > 125 spins;
        // fading weighs the new spins more, so it is below that but not below 2.5 / 0.5 − 3 = 2 ms of clean spin minus
        // the fade: 50 spins (0.8 ms clean over 5 ms, the old sums × 0.98) leave 2.46 / 3.75 = 66 %; 300 spins (4.8 ms
        // clean over 30 ms, the old sums × 0.90) leave 2.25 / 7.3 = 31 %.
        for (int i = 0; i < 50; i++) p.spun(16_000, 0, now += 100_000);
        assertTrue(p.contended(now), "share " + p.takenShare());
        for (int i = 0; i < 250; i++) p.spun(16_000, 0, now += 100_000);
        assertFalse(p.contended(now), "share " + p.takenShare());
        assertEquals(longSpin, p.budgetNanos(now));
    }

    @Test
    void aLoadedMachineKeepsTheSpinShortForAsLongAsTheLoadLasts() {
        long now = 1_000_000_000L;
        SpinPolicy p = warm(now);
        // every fourth 16 µs spin is preempted for 3 ms (a run queue of several threads per core): share 0.98
        for (int i = 0; i < 2_000; i++) {
            boolean preempted = i % 4 == 3;
            p.spun(preempted ? 3_016_000 : 16_000, preempted ? 3_000_000 : 0, now += preempted ? 3_100_000 : 100_000);
            if (i >= 3) assertTrue(p.contended(now), "spin " + i + " share " + p.takenShare());
        }
        assertEquals(SpinPolicy.CONTENDED_NANOS, p.budgetNanos(now));
        // a long pause fades the evidence below what a conclusion needs: the next spin is long again (a probe)...
        now += 5_000_000_000L;
        p.spun(16_000, 0, now);
        assertFalse(p.contended(now));
        // ...and the first preempted one brings the short spin back
        p.spun(1_000_000, 900_000, now += 1_000_000);
        assertTrue(p.contended(now));
    }

    @Test
    void queuedWakeUpsCountAsTakenTime() {
        long now = 1_000_000_000L;
        SpinPolicy p = warm(now);
        // 100 ms of clean spin, then one 5 ms wake-up from a run queue: 5 / 105 < 0.2, a single late wake-up is noise
        for (int i = 0; i < 500; i++) p.spun(200_000, 0, now += 200_000);
        p.woke(5_000_000, now += 5_000_000);
        assertFalse(p.contended(now), "share " + p.takenShare());
        // wake-ups that keep waiting in a run queue: 20 of them within 0.1 s
        for (int i = 0; i < 20; i++) p.woke(5_000_000, now += 5_000_000);
        assertTrue(p.contended(now), "share " + p.takenShare());
        // a poll interval of 1 µs is no preemption, and a fast wake-up is no lateness
        SpinPolicy q = warm(now);
        for (int i = 0; i < 100; i++) {
            q.spun(100_000, 0, now += 100_000);
            q.woke(40_000, now += 40_000);
        }
        assertFalse(q.contended(now));
        assertEquals(0.0, q.takenShare());
    }

    /**
     * One cold pass of a contended team as bench times it (a pass every 75 ms): five parks, each a 16 µs clean spin
     * and a 100 µs wake-up, and every fourth pass one wake-up that waited 3 ms in a run queue (a burst elsewhere).
     */
    private static long contendedPass(SpinPolicy p, long now, int pass) {
        for (int i = 0; i < 5; i++) {
            p.spun(16_000, 0, now += 1_000_000);
            p.woke(pass % 4 == 0 && i == 0 ? 6_000_000 : 100_000, now += 100_000);
        }
        return now + 75_000_000 - 5_500_000;
    }

    @Test
    void aContendedTeamReprobesAndClearsOnceTheCoresAreFree() {
        long now = 1_000_000_000L;
        SpinPolicy p = warm(now);
        p.spun(3_000_000, 2_500_000, now += 3_000_000); // a JIT burst: contended
        assertTrue(p.contended(now));
        long contendedAt = now;
        // parking passes watch 0.58 ms each; the 6 ms queued wake-up every fourth pass outweighs them (hand count at the
        // fourth pass: 0.58 × 3 clean + 6.58 with the slow one, 6 taken, before fading: 6 / 8.3 = 72 %; three passes
        // later, the slow one faded × 0.46: 2.8 / 4.8 = 58 %), so without a probe the sign never clears: 40 passes (3 s)
        // stay contended
        for (int pass = 1; pass <= 40; pass++) {
            if (now - contendedAt < SpinPolicy.PROBE_NANOS) assertFalse(p.probe(now), "no probe before it is due");
            now = contendedPass(p, now, pass);
            if (pass >= 4) assertTrue(p.contended(now), "pass " + pass + " share " + p.takenShare());
        }
        // the probe is due (3 s > 200 ms since the sign came on): the run forgets the parked evidence and polls
        assertTrue(p.probe(now));
        assertFalse(p.contended(now));
        assertTrue(p.probing());
        assertEquals(longSpinOf(p), p.budgetNanos(now));
        // a pass of polling on free cores: the worker's idle stretches between layers, 5 × 1 ms, nothing descheduled
        for (int i = 0; i < 5; i++) p.spun(1_000_000, 0, now += 3_000_000);
        p.runEnded(now);
        assertFalse(p.contended(now));
        assertFalse(p.probing());
        // uncontended passes now watch whole passes, so the same slow wake-up every fourth pass is noise (6 / 26 ms)
        for (int pass = 1; pass <= 40; pass++) {
            for (int i = 0; i < 5; i++) p.spun(1_000_000, 0, now += 3_000_000);
            if (pass % 4 == 0) p.woke(6_000_000, now += 6_000_000);
            now += 60_000_000;
            assertFalse(p.contended(now), "pass " + pass + " share " + p.takenShare());
        }
    }

    private static long longSpinOf(SpinPolicy p) { return p.gapBudgetNanos(); }

    @Test
    void aProbeOnALoadedMachineRestoresTheSignAndBacksOff() {
        long now = 1_000_000_000L;
        SpinPolicy p = warm(now);
        p.spun(2_000_000, 2_000_000, now += 2_000_000);
        assertTrue(p.contended(now));
        long wait = SpinPolicy.PROBE_NANOS;
        for (int round = 0; round < 6; round++) {
            long due = now + wait;
            assertFalse(p.probe(due - 1_000_000), "round " + round + ": not due yet");
            now = due;
            assertTrue(p.probe(now), "round " + round);
            // the probe's first polls are descheduled for most of a millisecond: contended again within the pass
            p.spun(1_200_000, 1_000_000, now += 1_200_000);
            assertTrue(p.contended(now));
            assertFalse(p.probing());
            assertFalse(p.probe(now), "a failed probe is over; the next waits");
            p.runEnded(now);
            wait = Math.min(SpinPolicy.MAX_PROBE_NANOS, 2 * wait);
        }
        assertEquals(SpinPolicy.MAX_PROBE_NANOS, wait);
        // the load goes: the next probe (after the longest wait) finds free cores, and the wait starts short again
        now += SpinPolicy.MAX_PROBE_NANOS;
        assertTrue(p.probe(now));
        p.spun(5_000_000, 0, now += 5_000_000);
        p.runEnded(now);
        assertFalse(p.contended(now));
        p.spun(10_000_000, 10_000_000, now += 10_000_000); // contended again later: 10 of 15 ms taken
        assertTrue(p.contended(now), "share " + p.takenShare());
        assertFalse(p.probe(now + SpinPolicy.PROBE_NANOS - 1));
        assertTrue(p.probe(now + SpinPolicy.PROBE_NANOS));
    }

    @Test
    void aRunOnAnUncontendedTeamIsNoProbe() {
        long now = 1_000_000_000L;
        SpinPolicy p = warm(now);
        assertFalse(p.probe(now));
        assertFalse(p.probing());
    }

    @Test
    void wakeCostIsARunningMeanThatIgnoresNonsense() {
        SpinPolicy p = new SpinPolicy();
        for (int i = 0; i < 200; i++) p.woke(30_000, 0);
        assertTrue(Math.abs(p.wakeNanos() - 30_000) < 100, "wake " + p.wakeNanos());
        p.woke(-5, 0);
        p.woke(10_000_000_000L, 0);
        assertTrue(Math.abs(p.wakeNanos() - 30_000) < 100, "wake " + p.wakeNanos());
    }

    @Test
    void gcPausesAreNotTakenTime() {
        long[] gc = {0};
        SpinPolicy p = new SpinPolicy(0.5, SpinPolicy.PROBE_NANOS, () -> gc[0]);
        long now = 1_000_000_000L;
        // 2 ms spun, 1.5 ms of it descheduled; a 1.5 ms GC pause ran meanwhile: 0 of 2 ms taken by other threads
        gc[0] += 1_500_000;
        p.spun(2_000_000, 1_500_000, now);
        assertFalse(p.contended(now));
        assertEquals(0.0, p.takenShare(), 1e-9);
        // the same spin with no GC: 1.5 of 2 ms taken, 0.75 >= 0.5
        SpinPolicy q = new SpinPolicy(0.5, SpinPolicy.PROBE_NANOS, () -> 0L);
        q.spun(2_000_000, 1_500_000, now);
        assertTrue(q.contended(now));
        assertEquals(0.75, q.takenShare(), 1e-9);
        // a GC pause only clears its own length: 1 ms GC inside 1.5 ms descheduled leaves 0.5 ms taken
        gc[0] += 1_000_000;
        p.spun(2_000_000, 1_500_000, now);
        assertEquals(0.5 / 4, p.takenShare(), 1e-9);
    }

    @Test
    void oneGcPauseIsClearedForEveryThreadItStopped() throws InterruptedException {
        long[] gc = {0};
        SpinPolicy p = new SpinPolicy(0.5, SpinPolicy.PROBE_NANOS, () -> gc[0]);
        long now = 1_000_000_000L;
        // one 1.5 ms pause stops both spinning threads; each reports 2 ms spun with 1.5 ms descheduled
        gc[0] += 1_500_000;
        p.spun(2_000_000, 1_500_000, now);
        Thread other = new Thread(() -> p.spun(2_000_000, 1_500_000, now));
        other.start();
        other.join();
        assertEquals(0.0, p.takenShare(), 1e-9);
        assertFalse(p.contended(now));
        // no new pause: the same thread's next report counts its descheduled time in full
        p.spun(2_000_000, 1_500_000, now);
        assertEquals(1.5 / 6, p.takenShare(), 1e-9);
    }
}
