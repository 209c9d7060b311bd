package io.nnzip.engine.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.nnzip.engine.Parallel;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused BatchNormalization → Relu (→ MaxPool) training step against the same graph run node by node (whose
 * rules the finite-difference checks cover): outputs, running statistics and every gradient, including odd channel
 * counts and odd spatial sizes (the pool drops the last row/column), negative scales and a chain without a pool.
 */
class FusedChainTest {
    private static final Parallel PAR = new Parallel(2);

    /** xin (N,C,H,W) param → Mul by a per-channel param (so dx is needed) → BN → Relu [→ MaxPool] [→ extra reader]. */
    private static Model chain(int n, int c, int h, int w, boolean pool, boolean bnIsOutput, long seed) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("chain");
        b.init("xin", gauss(r, n * c * h * w, 1.5, 0.3), n, c, h, w);
        String k = b.init("k", gauss(r, c, 1, 0), 1, c, 1, 1);
        float[] sc = gauss(r, c, 1, 0);
        sc[0] = -Math.abs(sc[0]) - 0.2f; // a negative scale flips which window element wins before the relu
        b.init("scale", sc, c);
        b.init("bias", gauss(r, c, 0.5, 0), c);
        b.init("mean", new float[c], c);
        float[] var = new float[c];
        java.util.Arrays.fill(var, 1f);
        b.init("var", var, c);
        String bn = b.op("BatchNormalization", new String[] {b.op("Mul", "xin", k), "scale", "bias", "mean", "var"}, Attribute.of("epsilon", 1e-5f));
        String y = b.op("Relu", bn);
        if (pool) y = b.op("MaxPool", y, Attribute.of("kernel_shape", new long[] {2, 2}), Attribute.of("strides", new long[] {2, 2}));
        else b.output(b.op("Sigmoid", y), DType.FLOAT); // a second reader of the relu output
        b.output(y, DType.FLOAT);
        if (bnIsOutput) b.output(bn, DType.FLOAT);
        return b.build(15);
    }

    private static float[] gauss(Random r, int len, double s, double shift) {
        float[] f = new float[len];
        for (int i = 0; i < len; i++) f[i] = (float) (r.nextGaussian() * s + shift);
        return f;
    }

    private record Run(Map<String, Tensor> outs, Map<String, float[]> grads, float[] mean, float[] var, Tape tape) {}

    private static Run run(int n, int c, int h, int w, boolean pool, boolean fused, boolean ties) {
        Model m = chain(n, c, h, w, pool, false, 7);
        if (ties) {
            // few distinct input values: many windows hold tied maxima in every arrangement
            float[] x = m.graph().initializer("xin").floats();
            Random r = new Random(13);
            for (int i = 0; i < x.length; i++) x[i] = r.nextInt(3);
        }
        Tape tape = new Tape(m.graph(), m.opset(), PAR, 0);
        tape.setFusion(fused);
        Map<String, Tensor> outs = new java.util.LinkedHashMap<>(tape.forward(Map.of(), true));
        String out = m.graph().outputNames().get(pool ? 0 : 1);
        Tensor y = outs.get(out);
        float[] seed = gauss(new Random(11), y.size(), 1, 0);
        Map<String, Tensor> g = new Backprop(tape, List.of("xin", "k", "scale", "bias")).run(Map.of(out, new Tensor(DType.FLOAT, y.shape(), seed)));
        Map<String, float[]> grads = new java.util.HashMap<>();
        g.forEach((name, t) -> grads.put(name, t.floats().clone()));
        outs.replaceAll((name, t) -> new Tensor(t.dtype(), t.shape(), t.floats().clone()));
        return new Run(outs, grads, m.graph().initializer("mean").floats(), m.graph().initializer("var").floats(), tape);
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 2e-5 * (1 + scale), what + "[" + i + "]");
    }

    private static void compare(int n, int c, int h, int w, boolean pool) { compare(n, c, h, w, pool, false); }

    private static void compare(int n, int c, int h, int w, boolean pool, boolean ties) {
        Run plain = run(n, c, h, w, pool, false, ties), fused = run(n, c, h, w, pool, true, ties);
        assertEquals(0, plain.tape().fusedTails().size(), "fusion is off");
        assertEquals(1, fused.tape().fusedTails().size(), "the chain should run fused");
        for (String o : plain.outs().keySet()) assertClose(plain.outs().get(o).floats(), fused.outs().get(o).floats(), o);
        assertArrayEquals(plain.outs().keySet().toArray(), fused.outs().keySet().toArray());
        assertClose(plain.mean(), fused.mean(), "running mean");
        assertClose(plain.var(), fused.var(), "running var");
        assertEquals(4, plain.grads().size());
        for (String p : plain.grads().keySet()) {
            assertNotNull(fused.grads().get(p), p);
            assertClose(plain.grads().get(p), fused.grads().get(p), "d" + p);
        }
    }

    @Test void pooledEvenSizes() { compare(4, 6, 8, 8, true); }

    @Test void pooledOddChannelsAndSizes() { compare(3, 5, 7, 9, true); }

    @Test void pooledEvenWidthOddHeight() { compare(3, 3, 11, 14, true); }

    @Test void pooledWithTiedWindows() { compare(2, 4, 10, 12, true, true); }

    @Test void withoutPool() { compare(2, 3, 5, 7, false); }

    @Test void chainIsNotFusedWhenAnInnerValueIsAGraphOutput() {
        Model m = chain(2, 3, 4, 4, true, true, 3);
        Tape tape = new Tape(m.graph(), m.opset(), PAR, 0);
        Map<String, Tensor> outs = tape.forward(Map.of(), true);
        assertEquals(0, tape.fusedTails().size());
        outs.values().forEach(t -> assertNotNull(t));
    }

    @Test void inferenceModeNeverFuses() {
        Model m = chain(2, 3, 4, 4, true, false, 3);
        Tape tape = new Tape(m.graph(), m.opset(), PAR, 0);
        tape.forward(Map.of(), false);
        assertEquals(0, tape.fusedTails().size());
    }
}
