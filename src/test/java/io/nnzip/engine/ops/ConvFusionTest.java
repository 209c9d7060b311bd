package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.engine.kernels.OpCheck;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fused engine graph (Conv+BN folded, ReLU and MaxPool in the conv, ReLU in Gemm) against ORT on the original. */
class ConvFusionTest {
    @Test
    void convBnReluPoolAndGemmRelu() {
        check(12, 16 * 9, 4);
    }

    @Test
    void oddPlanesAndWideRows() {
        // 13 → pool 6 → pool 3 drops odd edges; 40-wide rows take the general unfold path
        check(13, 16 * 9, 4);
        check(40, 16 * 100, 4);
    }

    @Test
    void channelLaneConvs() {
        // widths of 32 and 64 output channels take LaneConv; 13 → 6 → 3 with the pool dropping odd edges
        check(14, 64 * 9, 4, 32, 64);
        check(13, 64 * 9, 4, 32, 64);
    }

    private static void check(int size, int flat, int fusedNodes) {
        check(size, flat, fusedNodes, 8, 16);
    }

    private static void check(int size, int flat, int fusedNodes, int... widths) {
        SplittableRandom r = new SplittableRandom(31);
        GraphBuilder g = new GraphBuilder("cnn");
        String x = g.input("x", DType.FLOAT, 5, 3, size, size);
        String h = x;
        int c = 3;
        for (int i = 0; i < widths.length; i++) {
            int k = widths[i];
            String w = g.init("w" + i, Tensor.of(OpCheck.random(r, k * c * 9), k, c, 3, 3));
            h = g.op("Conv", new String[] {h, w}, Attribute.of("pads", 1L, 1L, 1L, 1L));
            float[] var = OpCheck.random(r, k);
            for (int j = 0; j < k; j++) var[j] = Math.abs(var[j]) + 0.1f;
            h = g.op("BatchNormalization", new String[] {h, g.init("g" + i, OpCheck.random(r, k), k), g.init("b" + i, OpCheck.random(r, k), k),
                    g.init("m" + i, OpCheck.random(r, k), k), g.init("v" + i, var, k)}, Attribute.of("epsilon", 1e-3f));
            h = g.op("Relu", h);
            h = g.op("MaxPool", h, Attribute.of("kernel_shape", 2L, 2L), Attribute.of("strides", 2L, 2L));
            c = k;
        }
        h = g.op("Flatten", h);
        h = g.op("Gemm", new String[] {h, g.init("fw", Tensor.of(OpCheck.random(r, flat * 10), 10, flat)), g.init("fb", OpCheck.random(r, 10), 10)},
                Attribute.of("transB", 1L));
        h = g.op("Relu", h);
        g.output(g.rename(h, "y"), DType.FLOAT);
        Model m = g.build(17);
        Model fused = Fusion.forInference(m);
        assertEquals(fusedNodes, fused.graph().nodes().size(), "two fused convs, Flatten, fused Gemm: " + fused.graph().nodes());
        Map<String, Tensor> feeds = Map.of("x", Tensor.of(OpCheck.random(r, 5 * 3 * size * size), 5, 3, size, size));
        Tensor want;
        try (OrtRunner ort = new OrtRunner(m, 1)) {
            want = ort.run(feeds).get("y");
        }
        for (Parallel p : new Parallel[] {new Parallel(1), new Parallel(2)})
            OpCheck.assertClose(want, new Executor(fused, p).run(feeds).get("y"), "fused CNN");
        assertEquals(11, m.graph().nodes().size(), "the input model is left alone");
    }
}
