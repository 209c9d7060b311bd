package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.ops.support.NumberText;
import org.junit.jupiter.api.Test;

class NumberTextTest {
    /** Expected strings are numpy's repr of the same float32 / float64 values. */
    @Test
    void matchesNumpyRepr() {
        assertEquals("0.1", NumberText.of(0.1f, true));
        assertEquals("1e-05", NumberText.of(1e-5f, true));
        assertEquals("1e-04", NumberText.of(1e-4f, true));
        assertEquals("0.0001", NumberText.of(1e-4, false));
        assertEquals("123456.7", NumberText.of(123456.7f, true));
        assertEquals("1.234567e+06", NumberText.of(1234567f, true));
        assertEquals("1.2345679e+08", NumberText.of(123456789f, true));
        assertEquals("1.0", NumberText.of(1f, true));
        assertEquals("-2.5", NumberText.of(-2.5f, true));
        assertEquals("1000000000000000.0", NumberText.of(1e15, false));
        assertEquals("1e+16", NumberText.of(1e16, false));
        assertEquals("nan", NumberText.of(Double.NaN, true));
        assertEquals("-inf", NumberText.of(Double.NEGATIVE_INFINITY, true));
    }
}
