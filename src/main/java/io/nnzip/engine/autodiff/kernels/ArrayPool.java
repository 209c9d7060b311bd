package io.nnzip.engine.autodiff.kernels;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Recycles the big per-step arrays of training (activations the training-mode forward makes, gradients, GEMM
 * blocks) from one step to the next, so a step allocates almost nothing and the collector never copies a step's
 * working set. Arrays handed out during a step go back to the pool when the next forward pass starts
 * ({@link #recycleAll}); anything read from the tape is therefore valid only until then.
 */
public final class ArrayPool {
    private final Map<Integer, ArrayDeque<float[]>> freeFloats = new HashMap<>();
    private final Map<Integer, ArrayDeque<int[]>> freeInts = new HashMap<>();
    private final List<Object> lent = new ArrayList<>();

    /** A float array of length n, zero-filled when {@code zero}. */
    public synchronized float[] floats(int n, boolean zero) {
        ArrayDeque<float[]> q = freeFloats.get(n);
        float[] a = q == null ? null : q.poll();
        if (a == null) a = new float[n];
        else if (zero) java.util.Arrays.fill(a, 0f);
        lent.add(a);
        return a;
    }

    public synchronized int[] ints(int n) {
        ArrayDeque<int[]> q = freeInts.get(n);
        int[] a = q == null ? null : q.poll();
        if (a == null) a = new int[n];
        lent.add(a);
        return a;
    }

    /** Returns every array lent since the last call to the pool. */
    public synchronized void recycleAll() {
        for (Object o : lent) {
            if (o instanceof float[] f) freeFloats.computeIfAbsent(f.length, k -> new ArrayDeque<>()).push(f);
            else if (o instanceof int[] i) freeInts.computeIfAbsent(i.length, k -> new ArrayDeque<>()).push(i);
        }
        lent.clear();
    }
}
