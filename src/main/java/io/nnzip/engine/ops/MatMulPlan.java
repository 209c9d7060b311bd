package io.nnzip.engine.ops;

import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;

/**
 * MatMul's numpy semantics resolved once: 1-D operands promoted (A (K) -> (1,K), B (K) -> (K,1), the promoted axis
 * dropped from the result), batch dims broadcast, and each output batch mapped to its A and B matrices.
 * <pre>A: (a..., M, K), B: (b..., K, N) -> Y: (broadcast(a..., b...), M, N)</pre>
 * Dims may be -1 (unknown) when used for shape inference.
 */
record MatMulPlan(int m, int k, int n, int[] batch, int[] aBatch, int[] bBatch, int[] outShape) {

    static MatMulPlan of(Node node, int[] a, int[] b) {
        if (a.length == 0 || b.length == 0) throw new NnzipException(node.describe() + ": operands must have rank >= 1");
        boolean dropM = a.length == 1, dropN = b.length == 1;
        int[] a2 = dropM ? new int[] {1, a[0]} : a, b2 = dropN ? new int[] {b[0], 1} : b;
        int m = a2[a2.length - 2], ka = a2[a2.length - 1], kb = b2[b2.length - 2], n = b2[b2.length - 1];
        if (ka >= 0 && kb >= 0 && ka != kb)
            throw new NnzipException(node.describe() + ": inner dimensions differ: " + Shapes.str(a) + " x " + Shapes.str(b));
        int[] ab = java.util.Arrays.copyOf(a2, a2.length - 2), bb = java.util.Arrays.copyOf(b2, b2.length - 2);
        int r = Math.max(ab.length, bb.length);
        int[] batch = new int[r], aPad = new int[r], bPad = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - ab.length ? 1 : ab[i - (r - ab.length)];
            int db = i < r - bb.length ? 1 : bb[i - (r - bb.length)];
            aPad[i] = da;
            bPad[i] = db;
            if (da == db || db == 1) batch[i] = da;
            else if (da == 1) batch[i] = db;
            else if (da < 0 || db < 0) batch[i] = Math.max(da, db) > 1 ? Math.max(da, db) : -1;
            else throw new NnzipException(node.describe() + ": batch dims of " + Shapes.str(a) + " and " + Shapes.str(b) + " do not broadcast");
        }
        int len = r + (dropM ? 0 : 1) + (dropN ? 0 : 1);
        int[] out = new int[len];
        System.arraycopy(batch, 0, out, 0, r);
        int j = r;
        if (!dropM) out[j++] = m;
        if (!dropN) out[j] = n;
        return new MatMulPlan(m, ka >= 0 ? ka : kb, n, batch, aPad, bPad, out);
    }

    int batches() { return Shapes.product(batch, 0, batch.length); }

    int aBatchSize() { return Shapes.product(aBatch, 0, aBatch.length); }

    int bBatchSize() { return Shapes.product(bBatch, 0, bBatch.length); }

    /** Start of output batch {@code i}'s A matrix. */
    int aOffset(int i) { return source(i, aBatch) * m * k; }

    /** Start of output batch {@code i}'s B matrix. */
    int bOffset(int i) { return source(i, bBatch) * k * n; }

    // maps a flat output batch index to the flat index of the (broadcast) operand batch
    private int source(int i, int[] opBatch) {
        int idx = 0, stride = 1;
        for (int d = batch.length - 1; d >= 0; d--) {
            int coord = i % batch[d];
            i /= batch[d];
            if (opBatch[d] != 1) idx += coord * stride;
            stride *= opBatch[d];
        }
        return idx;
    }
}
