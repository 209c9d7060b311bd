package io.nnzip.eval.conformance;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.Tensor;
import org.junit.jupiter.api.Test;

class TensorCompareTest {
    @Test
    void toleranceIsAbsolutePlusRelative() {
        Tensor want = Tensor.of(new float[] {1000f, 0f}, 2);
        assertNull(TensorCompare.mismatch(want, Tensor.of(new float[] {1000.9f, 0.000009f}, 2), 1e-3, 1e-5));
        String m = TensorCompare.mismatch(want, Tensor.of(new float[] {1001.2f, 0f}, 2), 1e-3, 1e-5);
        assertNotNull(m);
        assertTrue(m.contains("index 0"), m);
    }

    @Test
    void nansMustMatchAndTypesAndShapesMustAgree() {
        assertNull(TensorCompare.mismatch(Tensor.of(new float[] {Float.NaN}, 1), Tensor.of(new float[] {Float.NaN}, 1), 1e-3, 1e-5));
        assertNotNull(TensorCompare.mismatch(Tensor.of(new float[] {Float.NaN}, 1), Tensor.of(new float[] {0}, 1), 1e-3, 1e-5));
        assertNotNull(TensorCompare.mismatch(Tensor.of(new float[] {1}, 1), Tensor.ofLongs(new long[] {1}, 1), 1e-3, 1e-5));
        assertNotNull(TensorCompare.mismatch(Tensor.of(new float[] {1, 2}, 2), Tensor.of(new float[] {1, 2}, 1, 2), 1e-3, 1e-5));
        assertNotNull(TensorCompare.mismatch(Tensor.ofLongs(new long[] {5}, 1), Tensor.ofLongs(new long[] {6}, 1), 1, 1));
    }
}
