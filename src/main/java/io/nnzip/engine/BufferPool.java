package io.nnzip.engine;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Float arrays recycled between the nodes and runs of one {@link Executor}, so a forward pass does not allocate (and
 * the JVM zero, and the OS fault in) megabytes of fresh intermediates every call. Kernels that overwrite every
 * element of their output take it from {@link ExecContext#floats}; the executor hands an array back only once no
 * live value refers to it. Arrays issued in earlier runs belong to the caller (they may be outputs, or fed back in)
 * and are never taken back.
 */
final class BufferPool {
    /** Spare arrays kept per size. */
    private static final int PER_SIZE = 4;

    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    /** Arrays issued during the current run, with how many live values refer to each. */
    private final IdentityHashMap<float[], Integer> live = new IdentityHashMap<>();

    synchronized float[] take(int size) {
        ArrayDeque<float[]> q = free.get(size);
        float[] a = q == null || q.isEmpty() ? new float[size] : q.pop();
        live.put(a, 0);
        return a;
    }

    /** A new run: everything issued so far is the caller's now. */
    synchronized void startRun() { live.clear(); }

    /** A value now refers to {@code a}. */
    synchronized void bind(float[] a) {
        Integer n = live.get(a);
        if (n != null) live.put(a, n + 1);
    }

    /** A value that referred to {@code a} died; recycles it when it was the last. */
    synchronized void release(float[] a) {
        Integer n = live.get(a);
        if (n == null) return;
        if (n > 1) {
            live.put(a, n - 1);
            return;
        }
        live.remove(a);
        ArrayDeque<float[]> q = free.computeIfAbsent(a.length, k -> new ArrayDeque<>());
        if (q.size() < PER_SIZE) q.push(a);
    }
}
