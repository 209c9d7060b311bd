package io.nnzip.engine.ops;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.OpCheck;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Gemm and MatMul against ONNX Runtime on single-node graphs. */
class LinearOrtTest {
    static final Parallel TWO = new Parallel(2), ONE = new Parallel(1);

    @Test
    void gemmAttributesAndBiasShapes() {
        SplittableRandom r = new SplittableRandom(21);
        int[][] dims = {{3, 5, 4}, {1, 17, 33}, {40, 70, 90}, {33, 1, 7}};
        for (int[] d : dims) {
            int m = d[0], n = d[1], k = d[2];
            int[][] cShapes = {null, {}, {n}, {1, n}, {m, 1}, {m, n}};
            for (int[] cs : cShapes)
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 2) != 0, tb = (t & 1) != 0;
                    float alpha = r.nextBoolean() ? 1f : 0.75f, beta = r.nextBoolean() ? 1f : -1.5f;
                    GraphBuilder g = new GraphBuilder("gemm");
                    String a = g.input("a", DType.FLOAT, ta ? k : m, ta ? m : k);
                    String b = g.init("b", Tensor.of(OpCheck.random(r, k * n), tb ? n : k, tb ? k : n));
                    String[] ins = cs == null ? new String[] {a, b} : new String[] {a, b, g.init("c", Tensor.of(OpCheck.random(r, Shapes.numel(cs)), cs))};
                    g.output(g.rename(g.op("Gemm", ins, Attribute.of("transA", ta ? 1L : 0L), Attribute.of("transB", tb ? 1L : 0L),
                            Attribute.of("alpha", alpha), Attribute.of("beta", beta)), "y"), DType.FLOAT);
                    Tensor at = Tensor.of(OpCheck.random(r, m * k), ta ? k : m, ta ? m : k);
                    OpCheck.matchesOrt(g.build(13), Map.of("a", at), t % 2 == 0 ? ONE : TWO,
                            "Gemm " + Arrays.toString(d) + " ta=" + ta + " tb=" + tb + " C=" + Arrays.toString(cs));
                }
        }
    }

    @Test
    void matMulBroadcastAndPromotion() {
        SplittableRandom r = new SplittableRandom(22);
        int[][][] cases = {
                {{3, 4}, {4, 5}}, {{4}, {4, 5}}, {{3, 4}, {4}}, {{4}, {4}}, {{2, 3, 4}, {4, 5}}, {{2, 3, 4}, {2, 4, 5}},
                {{2, 1, 3, 4}, {5, 4, 6}}, {{1, 3, 4}, {7, 4, 2}}, {{6}, {2, 6, 3}}, {{2, 3, 6}, {6}}, {{5, 33, 70}, {70, 65}},
                {{3, 2, 20, 30}, {3, 1, 30, 17}}, {{200, 64}, {64, 300}}};
        for (int[][] c : cases) {
            GraphBuilder g = new GraphBuilder("matmul");
            String a = g.input("a", DType.FLOAT, Arrays.stream(c[0]).asLongStream().toArray());
            String b = g.input("b", DType.FLOAT, Arrays.stream(c[1]).asLongStream().toArray());
            g.output(g.rename(g.op("MatMul", a, b), "y"), DType.FLOAT);
            Map<String, Tensor> feeds = Map.of("a", Tensor.of(OpCheck.random(r, Shapes.numel(c[0])), c[0]), "b", Tensor.of(OpCheck.random(r, Shapes.numel(c[1])), c[1]));
            OpCheck.matchesOrt(g.build(13), feeds, TWO, "MatMul " + Arrays.toString(c[0]) + " x " + Arrays.toString(c[1]));
            OpCheck.matchesOrt(g.build(13), feeds, ONE, "MatMul " + Arrays.toString(c[0]) + " x " + Arrays.toString(c[1]));
        }
    }
}
