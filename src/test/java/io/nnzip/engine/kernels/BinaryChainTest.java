package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.ops.BinaryOps;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A binarized CNN as standard ops (float conv, then bit convs with ReLU and MaxPool, Flatten, a bit Gemm, a float
 * classifier) against ONNX Runtime: the engine passes packed bits from layer to layer (the producer thresholds its
 * own epilogue, max-pool as OR of bits, Flatten → bit Gemm as a whole-plane conv), and must still agree.
 * Channel counts straddle the 64-bit word (70), the pools drop an odd last row and column (7 → 3), one
 * threshold is negative after a ReLU (every bit one), and both activation codings are run.
 */
class BinaryChainTest {
    static Model graph(boolean pm1, float t2, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        GraphBuilder b = new GraphBuilder("bnn");
        String x = b.input("x", DType.FLOAT, -1, 1, 14, 14);
        String h = conv(b, r, x, 1, 8, 3, 1, false, true);
        h = conv(b, r, binarize(b, h, 0.1f, pm1), 8, 70, 3, 1, true, true);
        h = conv(b, r, binarize(b, h, t2, pm1), 70, 16, 3, 1, true, false);
        h = b.op("Flatten", h, Attribute.of("axis", 1L));
        h = gemm(b, r, binarize(b, h, 0.2f, pm1), 16 * 9, 12, true, true);
        h = gemm(b, r, h, 12, 3, false, false);
        b.rename(h, "y");
        b.output("y", DType.FLOAT, -1, 3);
        return b.build(13);
    }

    static String binarize(GraphBuilder b, String x, float t, boolean pm1) {
        String cond = b.op("Greater", x, b.init(b.fresh("t"), Tensor.scalar(t)));
        return b.op("Where", new String[] {cond, b.init(b.fresh("hi"), Tensor.scalar(1f)), b.init(b.fresh("lo"), Tensor.scalar(pm1 ? -1f : 0f))});
    }

    /** A conv (±α rows when {@code signs}, else Gaussian) with ReLU and an optional 2×2 max-pool. */
    static String conv(GraphBuilder b, SplittableRandom r, String x, int c, int k, int kernel, int pad, boolean signs, boolean pool) {
        float[] w = weights(r, k, c * kernel * kernel, signs), bias = new float[k];
        for (int o = 0; o < k; o++) bias[o] = (float) (r.nextDouble() - 0.3) * 0.5f;
        String y = b.op("Conv", new String[] {x, b.init(b.fresh("w"), Tensor.of(w, k, c, kernel, kernel)), b.init(b.fresh("b"), Tensor.of(bias, k))},
                Attribute.of("kernel_shape", (long) kernel, (long) kernel), Attribute.of("pads", (long) pad, (long) pad, (long) pad, (long) pad));
        y = b.op("Relu", y);
        if (pool) y = b.op("MaxPool", y, Attribute.of("kernel_shape", 2L, 2L), Attribute.of("strides", 2L, 2L));
        return y;
    }

    static String gemm(GraphBuilder b, SplittableRandom r, String x, int f, int k, boolean signs, boolean relu) {
        float[] w = weights(r, k, f, signs), bias = new float[k];
        for (int o = 0; o < k; o++) bias[o] = (float) (r.nextDouble() - 0.3);
        String y = b.op("Gemm", new String[] {x, b.init(b.fresh("w"), Tensor.of(w, k, f)), b.init(b.fresh("b"), Tensor.of(bias, k))}, Attribute.of("transB", 1L));
        return relu ? b.op("Relu", y) : y;
    }

    static float[] weights(SplittableRandom r, int rows, int cols, boolean signs) {
        float[] w = new float[rows * cols];
        for (int o = 0; o < rows; o++) {
            float a = (float) (0.05 + r.nextDouble() * 0.1);
            for (int i = 0; i < cols; i++) w[o * cols + i] = signs ? (r.nextBoolean() ? a : -a) : (float) r.nextGaussian() * 0.5f;
        }
        return w;
    }

    @ParameterizedTest
    @CsvSource({"false,0.1", "true,0.1", "false,-0.05", "true,0.3"})
    void bitsFlowBetweenLayersAndAgreeWithOnnxRuntime(boolean pm1, float t2) {
        Model m = graph(pm1, t2, 7);
        SplittableRandom r = new SplittableRandom(3);
        int n = 5;
        float[] x = new float[n * 14 * 14];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Tensor in = Tensor.of(x, n, 1, 14, 14);
        Tensor expect;
        try (OrtRunner ort = new OrtRunner(m, 1)) {
            expect = ort.run(Map.of("x", in)).get("y");
        }
        Model fused = Fusion.forInference(m);
        var ops = fused.graph().nodes().stream().map(Node::opType).toList();
        assertEquals(java.util.List.of(BinaryOps.CONV_BITS, BinaryOps.OP, BinaryOps.OP, BinaryOps.OP, "Gemm"), ops, "float conv writes bits, three bit layers, float classifier");
        assertEquals(3, fused.graph().nodes().stream().filter(nd -> nd.has(BinaryOps.BITS_OUT)).count(), "bits handed on three times");
        Tensor got = new Executor(fused).run(Map.of("x", in)).get("y");
        assertArrayEquals(expect.shape(), got.shape());
        float[] e = expect.floats(), g = got.floats();
        for (int i = 0; i < e.length; i++) assertEquals(e[i], g[i], 1e-4f * (1 + Math.abs(e[i])), "element " + i);
    }
}
