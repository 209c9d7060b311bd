package io.nnzip.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.quant.weight.Codebook;
import io.nnzip.quant.weight.WeightOnlyQuantizer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WeightValuesTest {
    static final float[] BOOK = {-0.5f, 0f, 0.25f, 1f};

    /** Two Gemm layers; each weight is replaced by a k-means style codebook chain with known indices. */
    static Model sharedWeights(int[][] index) {
        GraphBuilder g = new GraphBuilder("shared");
        String h = g.input("x", DType.FLOAT, -1, 6);
        int[] dims = {6, 5, 3};
        for (int l = 0; l < 2; l++)
            h = g.op("Gemm", new String[] {h, g.init("w" + l, new float[dims[l] * dims[l + 1]], dims[l + 1], dims[l])}, Attribute.of("transB", 1L));
        g.rename(h, "y");
        g.output("y", DType.FLOAT, -1, 3);
        Model m = g.build(13);
        int[] layer = {0};
        WeightOnlyQuantizer.apply(m, Set.of(), (w, axis) -> Codebook.encode(w, BOOK, index[layer[0]++], 2, false));
        return m;
    }

    @Test
    void foldsCodebookChainsToTheValuesLayersMultiplyBy() {
        SplittableRandom r = new SplittableRandom(5);
        int[][] index = {new int[30], new int[15]};
        for (int[] ix : index) for (int i = 0; i < ix.length; i++) ix[i] = r.nextInt(4);
        Model m = sharedWeights(index);
        assertNull(m.graph().initializer("w0"), "the float weight was replaced by the chain");
        Map<String, float[]> w = WeightValues.of(m);
        assertEquals(2, w.size(), w.keySet().toString());
        int l = 0, zeros = 0, all = 0;
        for (float[] v : w.values()) {
            assertEquals(index[l].length, v.length);
            int z = 0;
            for (int i = 0; i < v.length; i++) {
                assertEquals(BOOK[index[l][i]], v[i], 0f);
                if (index[l][i] == 1) z++;
            }
            assertEquals((double) z / v.length, WeightValues.sparsity(w).get(w.keySet().toArray(new String[0])[l]), 1e-12);
            zeros += z;
            all += v.length;
            l++;
        }
        assertEquals((double) zeros / all, WeightValues.totalSparsity(w), 1e-12);
        // layers are named by their nodes, which quantization keeps
        assertEquals(m.graph().nodes().stream().filter(n -> n.opType().equals("Gemm")).map(n -> n.name()).toList(), List.copyOf(w.keySet()));
    }

    @Test
    void plainFloatWeightsAreReadAsStored() {
        GraphBuilder g = new GraphBuilder("plain");
        String x = g.input("x", DType.FLOAT, -1, 2);
        String y = g.op("MatMul", x, g.init("w", new float[] {0f, 1f, 0f, 2f, 3f, 0f}, 2, 3));
        g.rename(y, "y");
        g.output("y", DType.FLOAT, -1, 3);
        Model m = g.build(13);
        Map<String, float[]> w = WeightValues.of(m);
        assertEquals(0.5, WeightValues.sparsity(w).get(m.graph().nodes().getFirst().name()), 1e-12);
    }
}
