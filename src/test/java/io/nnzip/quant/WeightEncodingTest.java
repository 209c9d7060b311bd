package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.weight.EncodedWeight;
import io.nnzip.quant.weight.GroupedLinearQuantizer;
import io.nnzip.quant.weight.InqQuantizer;
import io.nnzip.quant.weight.KMeansQuantizer;
import io.nnzip.quant.weight.OpsetUpgrade;
import io.nnzip.quant.weight.SignScaleQuantizer;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Every weight encoding, written as ONNX and run in ONNX Runtime, must rebuild exactly the float values the
 * encoder says the model computes with (bit for bit), in both storage containers and both weight layouts.
 */
class WeightEncodingTest {
    static Tensor weight(long seed, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * (1 + (i % 7)) * 0.1);
        return Tensor.of(v, shape);
    }

    /** Runs the encoder's subgraph alone in ORT: output = the rebuilt weight (+ a zero input to force a run). */
    static float[] rebuiltInOrt(EncodedWeight e, int[] shape, boolean opset21) {
        GraphBuilder b = new GraphBuilder("w");
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) dims[i] = shape[i];
        b.input("zero", DType.FLOAT, dims);
        String w = e.emitter().emit(b.graph(), "w");
        b.output(b.op("Add", "zero", w), DType.FLOAT, dims);
        Model m = b.build(13);
        if (opset21) OpsetUpgrade.to21(m);
        try (OrtRunner r = new OrtRunner(m, 1)) {
            return r.run(Map.of("zero", Tensor.zeros(DType.FLOAT, shape))).values().iterator().next().floats();
        }
    }

    static void check(String what, BiFunction<Tensor, Integer, EncodedWeight> enc, boolean opset21, int maxDistinct) {
        for (int[] shape : new int[][] {{8, 3, 3, 3}, {10, 40}}) {
            for (int axis : shape.length == 2 ? new int[] {0, 1} : new int[] {0}) {
                Tensor w = weight(shape.length * 10 + axis, shape);
                EncodedWeight e = enc.apply(w, axis);
                assertArrayEquals(e.values(), rebuiltInOrt(e, shape, opset21), 0f, what + " " + java.util.Arrays.toString(shape) + " axis " + axis);
                if (maxDistinct > 0) {
                    Set<Float> distinct = new HashSet<>();
                    for (float v : e.values()) distinct.add(v);
                    assertTrue(distinct.size() <= maxDistinct, what + ": " + distinct.size() + " distinct values");
                }
                assertTrue(QuantMath.sqnr(w.toFloats(), e.values()) > 0, what + " approximates the weights");
            }
        }
    }

    @Test
    void groupedInt4BlockedAndInt8Container() {
        check("int4 blocked", new GroupedLinearQuantizer(4, 16, true)::encode, true, 0);
        check("int4 in int8", new GroupedLinearQuantizer(4, 16, false)::encode, false, 0);
        check("int2 blocked", new GroupedLinearQuantizer(2, 8, true)::encode, true, 0);
    }

    @Test
    void groupedValuesStayOnEachGroupsGrid() {
        Tensor w = weight(3, 4, 64);
        EncodedWeight e = new GroupedLinearQuantizer(2, 32, true).encode(w, 0);
        for (int g = 0; g < 8; g++) {
            Set<Float> levels = new HashSet<>();
            for (int i = 0; i < 32; i++) levels.add(e.values()[g * 32 + i]);
            assertTrue(levels.size() <= 4, "2-bit group " + g + " uses " + levels.size() + " levels");
        }
    }

    @Test
    void kmeansCodebooks() {
        check("kmeans 4 uint4", (w, a) -> new KMeansQuantizer(4, 30).encode(w, true), true, 16);
        check("kmeans 3 uint8", (w, a) -> new KMeansQuantizer(3, 30).encode(w, false), false, 8);
    }

    @Test
    void floatStorageKeepsTheValues() {
        check("kmeans 4 as float", (w, a) -> new KMeansQuantizer(4, 30).encode(w, false).asFloat(w.shape()), false, 16);
        check("ternary as float", (w, a) -> new SignScaleQuantizer(true, false).encode(w, a).asFloat(w.shape()), false, 0);
    }

    /** ORT must decode int8-container weights once, at load (constant folding), but not the int4 form (why auto avoids it). */
    @Test
    void ortFoldsInt8ContainersAtLoad() {
        int[] shape = {16, 8, 3, 3};
        Tensor w = weight(5, shape);
        for (int scheme = 0; scheme < 4; scheme++) {
            boolean uint4 = scheme % 2 == 1;
            GraphBuilder b = new GraphBuilder("conv");
            String x = b.input("x", DType.FLOAT, 1, 8, 10, 10);
            EncodedWeight e = scheme < 2 ? new KMeansQuantizer(4, 30).encode(w, uint4) : new SignScaleQuantizer(true, uint4).encode(w, 0);
            String wn = e.emitter().emit(b.graph(), "w");
            b.output(b.op("Conv", x, wn), DType.FLOAT, 1, 16, 8, 8);
            Model m = b.build(13);
            if (uint4) OpsetUpgrade.to21(m);
            Map<String, Integer> ops = io.nnzip.quant.report.OrtFusion.optimizedOpCounts(m, 1);
            int decode = ops.getOrDefault("Gather", 0) + ops.getOrDefault("Cast", 0) + ops.getOrDefault("DequantizeLinear", 0) + ops.getOrDefault("Mul", 0);
            if (uint4) assertTrue(decode > 0, "4-bit: ORT keeps the decoding ops " + ops);
            else assertEquals(0, decode, "8-bit: ORT folded the decoding " + ops);
        }
    }

    @Test
    void kmeansCentroidsAreClusterMeans() {
        float[] x = {0f, 0.1f, 0.2f, 5f, 5.2f, 9.9f, 10f, 10.1f};
        KMeansQuantizer.Clusters c = new KMeansQuantizer(2, 50).cluster(x);
        // by hand: linear init 0, 3.367, 6.733, 10.1 assigns {0, .1, .2} {5} {5.2} {9.9, 10, 10.1} (5 is nearer 3.367,
        // 5.2 nearer 6.733); the means 0.1, 5, 5.2, 10 are a fixed point
        float[] means = {0.1f, 0.1f, 0.1f, 5f, 5.2f, 10f, 10f, 10f};
        for (int i = 0; i < x.length; i++) {
            float cen = c.centroids()[c.index()[i]];
            float expect = means[i];
            assertEquals(expect, cen, 1e-5f, "weight " + x[i]);
        }
    }

    @Test
    void kmeansKeepsPrunedZerosExactlyZero() {
        // half the weights pruned: zeros get the pinned centroid 0, the survivors share the other three;
        // by hand: survivors {1, 1.2, 4, 4.2, 8, 8.2}, linear init 1, 4.6, 8.2 → means 1.1, 4.1, 8.1
        float[] x = {0f, 1f, 0f, 1.2f, 0f, 4f, 0f, 4.2f, 0f, 8f, 0f, 8.2f};
        KMeansQuantizer.Clusters c = new KMeansQuantizer(2, 50).cluster(x);
        float[] expect = {0f, 1.1f, 0f, 1.1f, 0f, 4.1f, 0f, 4.1f, 0f, 8.1f, 0f, 8.1f};
        for (int i = 0; i < x.length; i++) assertEquals(expect[i], c.centroids()[c.index()[i]], 1e-5f, "weight " + i);
        for (int i = 0; i < x.length; i += 2) assertEquals(0, c.index()[i], "pruned weight " + i + " in the zero bucket");
        assertEquals(0f, c.centroids()[0]);
    }

    @Test
    void binaryAndTernary() {
        check("binary int8", new SignScaleQuantizer(false, false)::encode, false, 0);
        check("ternary int4", new SignScaleQuantizer(true, true)::encode, true, 0);
        // by hand: row {0.1, -0.5, 0.05, 0.9}: mean|w| = 0.3875, Δ = 0.27125 → codes {0,-1,0,1}, α = 0.7
        int[] code = new int[4];
        float[] a = SignScaleQuantizer.codes(new float[] {0.1f, -0.5f, 0.05f, 0.9f}, 1, 4, true, code);
        assertArrayEquals(new int[] {0, -1, 0, 1}, code);
        assertEquals(0.7f, a[0], 1e-6f);
        float[] bin = SignScaleQuantizer.codes(new float[] {0.1f, -0.5f, 0.05f, 0.9f}, 1, 4, false, code);
        assertArrayEquals(new int[] {1, -1, 1, 1}, code);
        assertEquals(0.3875f, bin[0], 1e-6f);
    }

    @Test
    void inqPowersOfTwo() {
        InqQuantizer q = new InqQuantizer(5);
        float[] w = {0.9f, -0.3f, 0.01f, 0.2f};
        int[] b = q.exponents(w);
        // s = 0.9: n1 = floor(log2(1.2)) = 0, n2 = n1 + 1 - 2^(5-2) = -7
        assertArrayEquals(new int[] {-7, 0}, b);
        assertEquals(1f, InqQuantizer.toPowerOfTwo(0.9f, b[0], b[1]));
        assertEquals(-0.25f, InqQuantizer.toPowerOfTwo(-0.3f, b[0], b[1]));
        assertEquals(0.0078125f, InqQuantizer.toPowerOfTwo(0.01f, b[0], b[1]));
        boolean[] fixed = new boolean[4];
        q.fix(w, fixed, 0.5, b);
        assertArrayEquals(new boolean[] {true, true, false, false}, fixed, "the largest half is fixed first");
        Tensor t = Tensor.of(new float[] {0.9f, -0.3f, 0.01f, 0.2f}, 2, 2);
        float[] all = t.toFloats().clone();
        q.fix(all, new boolean[4], 1.0, b);
        EncodedWeight e = q.encode(t, all, false);
        assertArrayEquals(all, rebuiltInOrt(e, new int[] {2, 2}, false), 0f);
    }
}
