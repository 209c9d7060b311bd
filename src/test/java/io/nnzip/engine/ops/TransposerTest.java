package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Transposer;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TransposerTest {
    /** The run-copy and tiled paths agree with the plain per-element gather on random shapes and permutations. */
    @Test
    void agreesWithElementGather() {
        Random r = new Random(3);
        for (int trial = 0; trial < 300; trial++) {
            int rank = 1 + r.nextInt(5);
            int[] s = new int[rank];
            for (int i = 0; i < rank; i++) s[i] = r.nextInt(4) == 0 ? 1 : 1 + r.nextInt(40 / rank + 2);
            int[] perm = java.util.stream.IntStream.range(0, rank).toArray();
            for (int i = rank - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            DType t = r.nextBoolean() ? DType.FLOAT : DType.INT64;
            double[] v = new double[Shapes.numel(s)];
            for (int i = 0; i < v.length; i++) v[i] = i;
            Tensor x = Values.fromDoubles(t, s, v);
            assertEquals(Index.transpose(x, perm), Transposer.transpose(x, perm), Shapes.str(s) + " perm " + java.util.Arrays.toString(perm));
        }
    }
}
