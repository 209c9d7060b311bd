package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Tensor;

final class PruneAsserts {
    private PruneAsserts() {}

    /** Max abs difference within {@code rel} of the reference's largest magnitude. */
    static void close(Tensor ref, Tensor got, double rel, String what) {
        assertArrayEquals(ref.shape(), got.shape(), what + ": shape");
        float[] a = ref.floats(), b = got.floats();
        double scale = 0, diff = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(a[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        assertTrue(scale > 0, what + ": degenerate reference output");
        assertTrue(diff <= rel * scale, what + ": max abs diff " + diff + " vs scale " + scale);
    }
}
