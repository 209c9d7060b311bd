package io.nnzip.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;

/** Checks a decoded model against the original: exact where the codec is lossless, within one step where it quantizes. */
public final class StepAssertions {
    private StepAssertions() {}

    /** Every quantized weight of {@code got} lies within one step (σ·2^(qp/4)) of {@code want}. */
    public static void assertWithinStep(Model want, Model got, CodecOptions o) {
        for (var e : want.graph().initializers().entrySet()) {
            Tensor a = e.getValue(), b = got.graph().initializer(e.getKey());
            if (a.dtype() != DType.FLOAT) {
                assertEquals(a, b, e.getKey());
                continue;
            }
            if (a.rank() < 2 || a.size() < CodecOptions.MIN_QUANTIZED) {
                assertReduced(a.floats(), b.floats(), e.getKey());
                continue;
            }
            float[] x = a.floats(), y = b.floats();
            double s = 0, ss = 0;
            for (float v : x) {
                s += v;
                ss += (double) v * v;
            }
            double sd = Math.sqrt(ss / x.length - (s / x.length) * (s / x.length));
            double step = sd * Math.pow(2, o.qpFor(e.getKey()) / 4.0);
            for (int i = 0; i < x.length; i++) assertTrue(Math.abs(x[i] - y[i]) <= step * 1.0001, e.getKey() + "[" + i + "]: " + x[i] + " vs " + y[i] + ", step " + step);
        }
    }

    /**
     * Unquantized float tensors of lossy modes keep 8 mantissa bits: error at most 2^-9 of the value, or — when an
     * update codes the tensor as a difference to the receiver's copy on one step — of the tensor's RMS.
     */
    public static void assertReduced(float[] x, float[] y, String name) {
        assertEquals(x.length, y.length, name);
        double ss = 0;
        for (float v : x) ss += (double) v * v;
        double rms = Math.sqrt(ss / Math.max(1, x.length));
        for (int i = 0; i < x.length; i++)
            assertTrue(Math.abs(x[i] - y[i]) <= Math.max(Math.abs(x[i]), rms) * 0x1p-9 * 1.0001, name + "[" + i + "]: " + x[i] + " vs " + y[i] + " (rms " + rms + ")");
    }
}
