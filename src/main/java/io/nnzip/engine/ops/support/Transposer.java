package io.nnzip.engine.ops.support;

import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Transpose without a per-element index map where the layout allows: dims that stay neighbours are merged first;
 * then a permutation keeping the last dim moves whole runs with arraycopy, and a batched 2-D swap of float32 data
 * ((B, A, C) -> (B, C, A), e.g. NCHW -> NHWC) runs in cache-sized tiles. Anything else gathers by index.
 */
public final class Transposer {
    private static final int TILE = 32;

    private Transposer() {}

    // x: (d_0..d_r) -> (d_perm[0]..d_perm[r])
    public static Tensor transpose(Tensor x, int[] perm) { return transpose(x, perm, float[]::new); }

    /** As {@link #transpose(Tensor, int[])}; a float result of the tiled 2-D swap goes into {@code alloc}'s array (a pooled one). */
    public static Tensor transpose(Tensor x, int[] perm, java.util.function.IntFunction<float[]> alloc) {
        int[] s = x.shape(), out = new int[s.length];
        for (int i = 0; i < perm.length; i++) out[i] = s[perm[i]];
        if (x.size() == 0) return new Tensor(x.dtype(), out, Tensor.allocate(x.dtype(), 0));
        // Merge runs of output dims that are consecutive input dims; size-1 dims are dropped first.
        List<Integer> keep = new ArrayList<>();
        for (int p : perm) if (s[p] != 1) keep.add(p);
        List<int[]> groups = new ArrayList<>();
        for (int p : keep) {
            int[] last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
            if (last != null && p > last[1] && adjacentIgnoringOnes(s, last[1], p)) last[1] = p;
            else groups.add(new int[] {p, p});
        }
        int g = groups.size();
        int[] order = groups.stream().mapToInt(a -> a[0]).sorted().toArray();
        int[] cs = new int[g], cp = new int[g];
        for (int i = 0; i < g; i++) {
            int[] grp = groups.get(i);
            int rank = java.util.Arrays.binarySearch(order, grp[0]);
            cp[i] = rank;
            cs[rank] = Shapes.product(s, grp[0], grp[1] + 1);
        }
        Object src = x.data();
        if (isIdentity(cp)) return new Tensor(x.dtype(), out, Tensor.copyOf(src));
        if (cp[g - 1] == g - 1) return new Tensor(x.dtype(), out, runs(src, x, cs, cp));
        if (x.dtype() == io.nnzip.ir.DType.FLOAT && (g == 2 || (g == 3 && cp[0] == 0 && cp[1] == 2 && cp[2] == 1))) {
            int B = g == 2 ? 1 : cs[0], A = cs[g - 2], C = cs[g - 1];
            return new Tensor(x.dtype(), out, swap((float[]) src, B, A, C, alloc.apply(x.size())));
        }
        return Index.gather(x, out, Index.strided(out, permutedStrides(s, perm), 0));
    }

    /** Whether input dims a < b are neighbours once size-1 dims between them are ignored. */
    private static boolean adjacentIgnoringOnes(int[] s, int a, int b) {
        for (int i = a + 1; i < b; i++) if (s[i] != 1) return false;
        return true;
    }

    private static boolean isIdentity(int[] p) {
        for (int i = 0; i < p.length; i++) if (p[i] != i) return false;
        return true;
    }

    private static int[] permutedStrides(int[] s, int[] perm) {
        int[] st = Shapes.strides(s), r = new int[perm.length];
        for (int i = 0; i < perm.length; i++) r[i] = st[perm[i]];
        return r;
    }

    /** The last dim stays last: copy contiguous runs of cs[last] elements (any dtype). */
    private static Object runs(Object src, Tensor x, int[] cs, int[] cp) {
        int g = cs.length, run = cs[g - 1];
        int[] outer = new int[g - 1], st = Shapes.strides(cs), pst = new int[g - 1];
        for (int i = 0; i < g - 1; i++) {
            outer[i] = cs[cp[i]];
            pst[i] = st[cp[i]];
        }
        int[] from = Index.strided(outer, pst, 0);
        Object dst = Tensor.allocate(x.dtype(), x.size());
        for (int i = 0; i < from.length; i++) System.arraycopy(src, from[i], dst, i * run, run);
        return dst;
    }

    // x: (B, A, C) -> (B, C, A), in TILE x TILE blocks
    private static float[] swap(float[] x, int B, int A, int C, float[] y) {
        for (int b = 0; b < B; b++) {
            int base = b * A * C;
            for (int a0 = 0; a0 < A; a0 += TILE)
                for (int c0 = 0; c0 < C; c0 += TILE) {
                    int a1 = Math.min(A, a0 + TILE), c1 = Math.min(C, c0 + TILE);
                    for (int a = a0; a < a1; a++)
                        for (int c = c0; c < c1; c++) y[base + c * A + a] = x[base + a * C + c];
                }
        }
        return y;
    }
}
