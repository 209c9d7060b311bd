package io.nnzip.codec.binarize;

import io.nnzip.codec.cabac.BinDecoder;
import io.nnzip.codec.cabac.BinEncoder;
import io.nnzip.codec.cabac.ContextModel;
import io.nnzip.ir.NnzipException;

/**
 * Binarization of symbol ranks r ∈ [0, A) of a small-alphabet integer tensor (format version 4, method
 * INT_SYMBOLS; A ≤ {@link #MAX_SYMBOLS}). Rank 0 is the most frequent symbol (a k-means index tensor's pruned zero):
 * <pre>
 *   sig (r ≠ 0)                                 context: previous two ranks (a: 0, 1, &gt;1) × (b ≠ 0) — 6 contexts
 *   r − 1 in D = ⌈log2(A − 1)⌉ bits, MSB first   every bit context-coded by its node in the binary tree (prefix so
 *                                               far) — 2^D contexts
 * </pre>
 * A signed-level binarization (sign, greater-than flags, Rice remainder) fits a distribution peaked at zero and
 * falling off with |level|; an index tensor's histogram is anything (bimodal for sorted centroids). Coding each
 * node of the binary tree with its own adaptive model learns any distribution over the ranks, so the code length
 * approaches the order-0 entropy, and the neighbour contexts of the zero flag can take it below (pruned zeros cluster: a dead input's whole row).
 * Tried and dropped: conditioning the tree bits on the neighbour (splits the learning of small tensors) and a
 * context from the element one row up (no gain on a pruned MLP's index tensors). On independent, identically
 * distributed ranks the adaptive models cost about 1 % over the order-0 entropy (mostly the zero flag's estimation
 * noise, which the two-rate {@link ContextModel} fixes); structure in real tensors more than pays for it.
 */
public final class SymbolBinarization {
    public static final int MAX_SYMBOLS = 256;
    private static final int SIG = 0, TREE = 6;

    private SymbolBinarization() {}

    /** Bits of the tree code for an alphabet of {@code symbols}. */
    static int depth(int symbols) { return symbols <= 2 ? 0 : 32 - Integer.numberOfLeadingZeros(symbols - 2); }

    public static int[] contexts(int symbols) { return ContextModel.create(TREE + (1 << depth(symbols))); }

    private static int nbClass(int a, int b) { return (a == 0 ? 0 : a == 1 ? 2 : 4) + (b == 0 ? 0 : 1); }

    public static void encode(int[] r, int from, int to, int symbols, BinEncoder enc, int[] ctx) {
        int d = depth(symbols);
        int a = 0, b = 0;
        for (int i = from; i < to; i++) {
            int v = r[i];
            enc.bit(ctx, SIG + nbClass(a, b), v == 0 ? 0 : 1);
            if (v != 0) {
                int x = v - 1, node = 1, base = TREE;
                for (int j = d - 1; j >= 0; j--) {
                    int bit = (x >>> j) & 1;
                    enc.bit(ctx, base + node, bit);
                    node = node << 1 | bit;
                }
            }
            b = a;
            a = v;
        }
    }

    public static void decode(int[] r, int from, int to, int symbols, BinDecoder dec, int[] ctx) {
        int d = depth(symbols), half = 1 << d;
        int a = 0, b = 0;
        for (int i = from; i < to; i++) {
            int v = 0;
            if (dec.bit(ctx, SIG + nbClass(a, b)) != 0) {
                int node = 1, base = TREE;
                for (int j = 0; j < d; j++) node = node << 1 | dec.bit(ctx, base + node);
                v = node - half + 1;
                if (v >= symbols) throw new NnzipException("symbol rank " + v + " out of range [0, " + symbols + ")");
            }
            r[i] = v;
            b = a;
            a = v;
        }
    }
}
