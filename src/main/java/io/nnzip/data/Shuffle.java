package io.nnzip.data;

import java.util.SplittableRandom;

/** Seeded Fisher–Yates permutations, so an epoch's order depends only on the seed. */
public final class Shuffle {
    private Shuffle() {}

    public static int[] permutation(int n, SplittableRandom rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
