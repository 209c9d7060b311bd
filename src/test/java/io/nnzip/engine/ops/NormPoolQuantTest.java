package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.ExecContext;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import org.junit.jupiter.api.Test;

class NormPoolQuantTest {
    @Test
    void batchNormTrainingUsesBatchStatisticsAndUpdatesRunningOnes() {
        // x: (2, 1, 2) = channel values {1, 3, 5, 7}: mean 4, population variance 5.
        Tensor x = Tensor.of(new float[] {1, 3, 5, 7}, 2, 1, 2);
        Tensor one = Tensor.of(new float[] {1}, 1), zero = Tensor.of(new float[] {0}, 1), runMean = Tensor.of(new float[] {10}, 1), runVar = Tensor.of(new float[] {2}, 1);
        ExecContext ctx = new ExecContext(Ops.TEAM, 15, true, 1);
        Tensor[] out = Ops.run(ctx, "BatchNormalization", 3, new Tensor[] {x, one, zero, runMean, runVar}, Attribute.of("epsilon", 0f), Attribute.of("momentum", 0.75f));
        double sd = Math.sqrt(5);
        assertArrayEquals(new float[] {(float) (-3 / sd), (float) (-1 / sd), (float) (1 / sd), (float) (3 / sd)}, out[0].floats(), 1e-6f);
        assertEquals(10 * 0.75 + 4 * 0.25, out[1].floats()[0], 1e-6);
        assertEquals(2 * 0.75 + 5 * 0.25, out[2].floats()[0], 1e-6);
        // Inference: running statistics, one output.
        Tensor[] inf = Ops.run("BatchNormalization", 15, 1, new Tensor[] {x, one, zero, runMean, runVar}, Attribute.of("epsilon", 0f));
        assertEquals((1 - 10) / Math.sqrt(2), inf[0].floats()[0], 1e-5);
    }

    @Test
    void maxPoolIndicesAndCeilMode() {
        float[] v = new float[16];
        for (int i = 0; i < 16; i++) v[i] = (i * 7) % 16;
        Tensor x = Tensor.of(v, 1, 1, 4, 4);
        Tensor[] r = Ops.run("MaxPool", 12, 2, new Tensor[] {x}, Attribute.of("kernel_shape", 3L, 3L), Attribute.of("strides", 2L, 2L), Attribute.of("ceil_mode", 1L));
        assertArrayEquals(new int[] {1, 1, 2, 2}, r[0].shape());
        for (int i = 0; i < 4; i++) assertEquals(v[(int) r[1].longs()[i]], r[0].floats()[i]);
        // Window (0,0) covers rows/cols 0..2: max of those values.
        float m = 0;
        for (int h = 0; h < 3; h++) for (int w = 0; w < 3; w++) m = Math.max(m, v[h * 4 + w]);
        assertEquals(m, r[0].floats()[0]);
    }

    @Test
    void averagePoolExcludesPaddingUnlessAsked() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        Attribute k = Attribute.of("kernel_shape", 2L, 2L), p = Attribute.of("pads", 1L, 1L, 0L, 0L);
        float[] ex = Ops.run("AveragePool", 11, 1, new Tensor[] {x}, k, p)[0].floats();
        float[] inc = Ops.run("AveragePool", 11, 1, new Tensor[] {x}, k, p, Attribute.of("count_include_pad", 1L))[0].floats();
        assertEquals(1f, ex[0]);
        assertEquals(0.25f, inc[0]);
        assertEquals(2.5f, ex[3]);
    }

    @Test
    void quantizeRoundsHalfToEvenSaturatesAndWorksPerAxis() {
        Tensor x = Tensor.of(new float[] {2.5f, 3.5f, -300f, 1000f}, 2, 2);
        Tensor q = Ops.run1("QuantizeLinear", new Tensor[] {x, Tensor.of(new float[] {1f, 2f}, 2), new Tensor(DType.INT8, new int[] {2}, new byte[] {0, 1})},
                Attribute.of("axis", 0L));
        // Row 0: scale 1, zp 0 -> round(2.5)=2, round(3.5)=4. Row 1: scale 2, zp 1 -> -150+1 -> -128, 500+1 -> 127.
        assertArrayEquals(new byte[] {2, 4, -128, 127}, q.bytes());
        Tensor d = Ops.run1("DequantizeLinear", new Tensor[] {q, Tensor.of(new float[] {1f, 2f}, 2), new Tensor(DType.INT8, new int[] {2}, new byte[] {0, 1})},
                Attribute.of("axis", 0L));
        assertArrayEquals(new float[] {2, 4, -258, 252}, d.floats());
    }

    @Test
    void dropoutIsIdentityAtInferenceAndScalesInTraining() {
        float[] v = new float[20000];
        java.util.Arrays.fill(v, 1f);
        Tensor x = Tensor.of(v, v.length);
        Tensor[] inf = Ops.run("Dropout", 13, 2, new Tensor[] {x, Tensor.scalar(0.3f)});
        assertArrayEquals(v, inf[0].floats());
        ExecContext train = new ExecContext(Ops.TEAM, 13, true, 42);
        Tensor[] tr = Ops.run(train, "Dropout", 2, new Tensor[] {x, Tensor.scalar(0.3f)});
        int kept = 0;
        for (int i = 0; i < v.length; i++) {
            boolean k = tr[1].bytes()[i] == 1;
            kept += k ? 1 : 0;
            assertEquals(k ? 1 / 0.7f : 0f, tr[0].floats()[i], 1e-6f);
        }
        assertEquals(0.7, kept / (double) v.length, 0.02);
    }

    @Test
    void reduceWithAxesInputAndNoopFlag() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor s = Ops.run("ReduceSum", 13, 1, new Tensor[] {x, Tensor.vector(1)}, Attribute.of("keepdims", 0L))[0];
        assertArrayEquals(new float[] {6, 15}, s.floats());
        Tensor same = Ops.run("ReduceSum", 13, 1, new Tensor[] {x, Tensor.ofLongs(new long[0], 0)}, Attribute.of("noop_with_empty_axes", 1L))[0];
        assertArrayEquals(x.floats(), same.floats());
        Tensor lse = Ops.run("ReduceLogSumExp", 11, 1, new Tensor[] {Tensor.of(new float[] {1000, 1000}, 2)})[0];
        assertEquals(1000 + Math.log(2), lse.floats()[0], 1e-3);
    }
}
