package io.nnzip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Optimizer steps against the update formulas evaluated independently in double precision. */
class OptimizerTest {
    private static final double[][] GRADS = {{0.5, -1.0}, {0.2, 0.3}, {-0.4, 0.1}};

    private static Param param() { return new Param("w", new float[] {1.0f, -2.0f}, true); }

    private static void run(Optimizer o, Param p, float lr) {
        for (double[] g : GRADS) {
            for (int i = 0; i < 2; i++) p.grad()[i] = (float) g[i];
            o.step(List.of(p), lr);
        }
    }

    @Test
    void sgdMomentumAndNesterov() {
        for (boolean nesterov : new boolean[] {false, true}) {
            Param p = param();
            run(new Sgd(0.9f, nesterov, 0.01f), p, 0.1f);
            double[] w = {1.0, -2.0}, v = new double[2];
            for (double[] g : GRADS)
                for (int i = 0; i < 2; i++) {
                    double gi = g[i] + 0.01 * w[i];
                    v[i] = 0.9 * v[i] + gi;
                    w[i] -= 0.1 * (nesterov ? gi + 0.9 * v[i] : v[i]);
                }
            for (int i = 0; i < 2; i++) assertEquals(w[i], p.value()[i], 1e-6);
        }
    }

    @Test
    void adamAndAdamW() {
        for (boolean decoupled : new boolean[] {false, true}) {
            Param p = param();
            run(new Adam(0.9f, 0.999f, 1e-8f, 0.05f, decoupled), p, 0.01f);
            double[] w = {1.0, -2.0}, m = new double[2], v = new double[2];
            int t = 0;
            for (double[] g : GRADS) {
                t++;
                for (int i = 0; i < 2; i++) {
                    double gi = decoupled ? g[i] : g[i] + 0.05 * w[i];
                    m[i] = 0.9 * m[i] + 0.1 * gi;
                    v[i] = 0.999 * v[i] + 0.001 * gi * gi;
                    double upd = (m[i] / (1 - Math.pow(0.9, t))) / (Math.sqrt(v[i] / (1 - Math.pow(0.999, t))) + 1e-8);
                    if (decoupled) w[i] -= 0.01 * 0.05 * w[i];
                    w[i] -= 0.01 * upd;
                }
            }
            for (int i = 0; i < 2; i++) assertEquals(w[i], p.value()[i], 1e-5);
        }
    }

    @Test
    void noDecayOnBiases() {
        Param b = new Param("b", new float[] {1f}, false);
        b.grad()[0] = 0f;
        new Sgd(0f, false, 0.5f).step(List.of(b), 0.1f);
        assertEquals(1f, b.value()[0]);
    }

    @Test
    void schedules() {
        LrSchedule cos = LrSchedule.of("cosine", 0.1f, 100, 0, 1, 0.1f);
        assertEquals(0.1f, cos.at(0), 1e-7);
        assertEquals(0.05f, cos.at(50), 1e-6);
        assertEquals(0f, cos.at(100), 1e-7);
        LrSchedule step = LrSchedule.of("step", 1f, 100, 0, 30, 0.1f);
        assertEquals(1f, step.at(29), 1e-7);
        assertEquals(0.1f, step.at(30), 1e-7);
        assertEquals(0.001f, step.at(95), 1e-7);
        LrSchedule warm = LrSchedule.of("constant", 1f, 100, 9, 1, 0.1f);
        assertEquals(0.1f, warm.at(0), 1e-7);
        assertEquals(0.5f, warm.at(4), 1e-7);
        assertEquals(1f, warm.at(9), 1e-7);
    }

    @Test
    void clippingScalesToTheGlobalNorm() {
        Param a = new Param("a", new float[2], true), b = new Param("b", new float[1], true);
        a.grad()[0] = 3;
        a.grad()[1] = 0;
        b.grad()[0] = 4;
        assertEquals(5.0, GradClip.clipNorm(List.of(a, b), 1.0), 1e-9);
        assertEquals(0.6f, a.grad()[0], 1e-6);
        assertEquals(0.8f, b.grad()[0], 1e-6);
        assertEquals(1.0, GradClip.clipNorm(List.of(a, b), 2.0), 1e-6);
    }

    @Test
    void aRestoredCopyTakesTheSameStepsBitForBit() {
        for (String name : List.of("adam", "adamw", "sgd")) {
            // the original takes all three steps; the copy is restored from the original's state after the first two
            Optimizer a = Optimizer.create(name, 0.9f, false, 0.01f), b = Optimizer.create(name, 0.9f, false, 0.01f);
            Param pa = param(), pb = param();
            for (int s = 0; s < 2; s++) {
                for (int i = 0; i < 2; i++) pa.grad()[i] = (float) GRADS[s][i];
                a.step(List.of(pa), 0.1f);
            }
            b.restore(List.of(pb), a.state(List.of(pa)));
            System.arraycopy(pa.value(), 0, pb.value(), 0, 2);
            // a fresh optimizer from the same weights (Adam: step count 1, zero moments) steps elsewhere
            Optimizer fresh = Optimizer.create(name, 0.9f, false, 0.01f);
            Param pf = param();
            System.arraycopy(pa.value(), 0, pf.value(), 0, 2);
            for (Param p : List.of(pa, pb, pf)) for (int i = 0; i < 2; i++) p.grad()[i] = (float) GRADS[2][i];
            a.step(List.of(pa), 0.1f);
            b.step(List.of(pb), 0.1f);
            fresh.step(List.of(pf), 0.1f);
            assertEquals(Float.floatToRawIntBits(pa.value()[0]), Float.floatToRawIntBits(pb.value()[0]), name);
            assertEquals(Float.floatToRawIntBits(pa.value()[1]), Float.floatToRawIntBits(pb.value()[1]), name);
            org.junit.jupiter.api.Assertions.assertNotEquals(pa.value()[0], pf.value()[0], name);
        }
    }
}
