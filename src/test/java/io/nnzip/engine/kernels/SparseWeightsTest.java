package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.nnzip.ir.WeightWrites;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The compressed-rows cache: reused while the weights are unchanged, rebuilt after any in-place change (a value, a
 * zero becoming nonzero, a nonzero becoming zero), including in the scalar tail past the last full vector, once the
 * writer has bumped the weight stamp. Each rebuilt form is checked by its product with the identity against the
 * changed weights themselves.
 */
class SparseWeightsTest {
    @Test
    void reusedWhileUnchangedRebuiltAfterAnyChange() {
        int rows = 70, cols = 61, off = 3, size = rows * cols; // 4270 weights: not a multiple of any vector length
        SplittableRandom r = new SplittableRandom(5);
        float[] w = new float[off + size + 2];
        for (int i = off; i < off + size; i++) w[i] = r.nextInt(10) == 0 ? (float) r.nextGaussian() : 0f;
        SparseRows first = SparseWeights.rows(w, off, rows, cols);
        assertNotNull(first);
        matches(first, w, off, rows, cols);
        assertSame(first, SparseWeights.rows(w, off, rows, cols), "unchanged weights reuse the cached form");
        w[off + size + 1] = 7f; // outside the operand: still a hit
        assertSame(first, SparseWeights.rows(w, off, rows, cols));
        WeightWrites.bump(); // a bump with nothing changed: the compare finds equal contents and keeps the entry
        assertSame(first, SparseWeights.rows(w, off, rows, cols));
        int nz = firstNonzero(w, off, size, 0), tailNz = lastNonzero(w, off, size);
        int zero = nz == off ? off + 1 : off; // a zero weight in the first vector
        int[][] edits = {{nz, 1}, {nz, 0}, {zero, 1}, {off + size - 1, 2}, {tailNz, 1}, {tailNz, 0}};
        SparseRows prev = first;
        for (int[] e : edits) {
            if (e[1] == 0) w[e[0]] = 0f;
            else if (e[1] == 1) w[e[0]] = w[e[0]] == 0f ? 0.25f : w[e[0]] * 1.5f;
            else w[e[0]] = -3f; // the last weight, in the scalar tail
            WeightWrites.bump();
            SparseRows now = SparseWeights.rows(w, off, rows, cols);
            assertNotSame(prev, now, "changed at " + (e[0] - off));
            matches(now, w, off, rows, cols);
            assertSame(now, SparseWeights.rows(w, off, rows, cols));
            prev = now;
        }
    }

    /** rows(W) · I (cols×cols) must be W itself. */
    private static void matches(SparseRows s, float[] w, int off, int rows, int cols) {
        float[] id = new float[cols * cols], y = new float[rows * cols], want = new float[rows * cols];
        for (int c = 0; c < cols; c++) id[c * cols + c] = 1f;
        s.multiply(id, 0, cols, cols, 1f, y, 0, cols, false, null);
        System.arraycopy(w, off, want, 0, rows * cols);
        assertArrayEquals(want, y, 0f);
    }

    private static int firstNonzero(float[] w, int off, int size, int from) {
        for (int i = from; i < size; i++) if (w[off + i] != 0f) return off + i;
        throw new AssertionError("no nonzero");
    }

    private static int lastNonzero(float[] w, int off, int size) {
        for (int i = size - 1; i >= 0; i--) if (w[off + i] != 0f) return off + i;
        throw new AssertionError("no nonzero");
    }
}
