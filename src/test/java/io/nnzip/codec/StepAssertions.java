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
            if (a.dtype() != DType.FLOAT || a.rank() < 2 || a.size() < CodecOptions.MIN_QUANTIZED) {
                assertEquals(a, b, e.getKey());
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

}
