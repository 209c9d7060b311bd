package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Tensor;
import org.junit.jupiter.api.Test;

class GroupNormTest {
    private static final int[] S = {2, 4, 3, 5};
    private static final Tensor X = Tensor.of(Ops.ramp(2 * 4 * 3 * 5, 4, 1), S);

    /** One group per channel is instance normalization. */
    @Test
    void groupsOfOneChannelEqualInstanceNorm() {
        Tensor scale = Tensor.of(new float[] {1, 2, 0.5f, -1}, 4), bias = Tensor.of(new float[] {0, 1, -1, 3}, 4);
        Tensor g = Ops.run1("GroupNormalization", new Tensor[] {X, scale, bias}, Attribute.of("num_groups", 4L));
        Tensor i = Ops.run1("InstanceNormalization", new Tensor[] {X, scale, bias});
        assertArrayEquals(i.floats(), g.floats(), 1e-5f);
    }

    /** A single group is layer normalization over (C, H, W). */
    @Test
    void oneGroupEqualsLayerNormOverChannelsAndSpace() {
        Tensor g = Ops.run1("GroupNormalization", new Tensor[] {X, Tensor.of(new float[] {1.5f}, 1), Tensor.of(new float[] {0.25f}, 1)}, Attribute.of("num_groups", 1L));
        float[] ones = new float[60], shift = new float[60];
        java.util.Arrays.fill(ones, 1.5f);
        java.util.Arrays.fill(shift, 0.25f);
        Tensor l = Ops.run1("LayerNormalization", new Tensor[] {X, Tensor.of(ones, 4, 3, 5), Tensor.of(shift, 4, 3, 5)}, Attribute.of("axis", 1L));
        assertArrayEquals(l.floats(), g.floats(), 1e-5f);
    }
}
