package io.nnzip.quant.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class CodebookParamTest {
    @Test
    void prunedBucketGetsNoGradientOthersGetTheirMembersSum() {
        QuantizedParam q = QuantizedParam.codebook("w", new float[] {0f, -0.5f, 0.75f}, new int[] {0, 1, 2, 0, 2});
        q.backward(new float[] {3f, 1f, 2f, 4f, 0.5f});
        // cluster 0 is exactly 0 (pruned weights): its members' gradient 3 + 4 is dropped so they stay zero
        assertArrayEquals(new float[] {0f, 1f, 2.5f}, q.param().grad(), 0f);
        assertArrayEquals(new float[] {0f, -0.5f, 0.75f, 0f, 0.75f}, q.values(), 0f);
    }
}
