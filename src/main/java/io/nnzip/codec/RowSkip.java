package io.nnzip.codec;

import io.nnzip.codec.cabac.ContextModel;
import io.nnzip.codec.cabac.RangeDecoder;
import io.nnzip.codec.cabac.RangeEncoder;
import io.nnzip.ir.NnzipException;

/**
 * Row skip flags of a DOM_UNIFORM unit (format version 6): one flag per row (index of dimension 0) saying that the
 * row's change is below the step, so the row is not coded and keeps the base's values. The coded levels are those of
 * the kept rows only, in scan order, and everything the levels imply — slices, the dependent quantizer's state walk,
 * the neighbour and base contexts — applies to that shorter sequence as to a unit of that many elements.
 * <pre>
 *   RowSkip:u8 (0, 1), [KeptRows:count(Dim[0]), RowFlags:blob]      (fields only if RowSkip = 1; rank ≥ 2)
 *   RowFlags   arithmetic-coded (see FORMAT.md "Arithmetic coder"), Dim[0] bins, fresh contexts:
 *     skip[r]   context: skip[r−1] (0 before the first row) + 2 · (the base's row r is all zero)
 *   the number of flags that are 0 must equal KeptRows
 * </pre>
 * KeptRows lets the unit's syntax count its slices without the base; the flags are decoded with the base, whose
 * co-located row selects their context (a row pruned in the base usually stays pruned).
 * The flag coding is written once ({@link #code}) and run by the writer and the reader.
 */
public final class RowSkip {
    private static final int CONTEXTS = 4;

    private RowSkip() {}

    /** Where the flags go: a coder (returns the bit it was given) or a decoder (returns the bit it read). */
    private interface Bins {
        int bit(int[] ctx, int i, int bit);
    }

    /** The syntax of the flags, run in both directions; {@code baseZero[r]} is the base-row class (may be null: none). */
    private static void code(boolean[] skip, boolean[] baseZero, Bins bins) {
        int[] ctx = ContextModel.create(CONTEXTS);
        int prev = 0;
        for (int r = 0; r < skip.length; r++) {
            int c = prev + (baseZero != null && baseZero[r] ? 2 : 0);
            int b = bins.bit(ctx, c, skip[r] ? 1 : 0);
            skip[r] = b != 0;
            prev = b;
        }
    }

    public static byte[] encode(boolean[] skip, boolean[] baseZero) {
        RangeEncoder enc = new RangeEncoder(skip.length / 8 + 64);
        code(skip.clone(), baseZero, (ctx, i, bit) -> {
            enc.bit(ctx, i, bit);
            return bit;
        });
        return enc.finish();
    }

    /** Whether each row of {@code base} is all zero. */
    public static boolean[] zeroRows(float[] base, int rows, int rowLen) {
        boolean[] z = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            boolean zero = true;
            for (int i = r * rowLen, e = i + rowLen; i < e && zero; i++) zero = base[i] == 0;
            z[r] = zero;
        }
        return z;
    }

    public static boolean[] decode(byte[] coded, long rows, long kept, boolean[] baseZero, String name) {
        if (rows > (coded.length + 16L) * ContextModel.MAX_BINS_PER_BYTE)
            throw new NnzipException("tensor '" + name + "': " + rows + " row flags cannot fit in " + coded.length + " coded bytes");
        boolean[] skip = new boolean[(int) rows];
        RangeDecoder dec = new RangeDecoder(coded, "tensor '" + name + "' row flags");
        code(skip, baseZero, (ctx, i, bit) -> dec.bit(ctx, i));
        if (keptRows(skip) != kept) throw new NnzipException("tensor '" + name + "': row flags keep " + keptRows(skip) + " rows, the unit says " + kept);
        return skip;
    }

    /** Elements per row (the product of the dimensions after the first). */
    public static int rowLength(long[] dims) {
        long n = 1;
        for (int i = 1; i < dims.length; i++) n *= dims[i];
        return (int) n;
    }

    public static int keptRows(boolean[] skip) {
        int k = 0;
        for (boolean s : skip) if (!s) k++;
        return k;
    }

    /** The kept rows' elements of {@code a}, in order. */
    public static float[] compact(float[] a, boolean[] skip, int rowLen) {
        float[] out = new float[keptRows(skip) * rowLen];
        for (int r = 0, o = 0; r < skip.length; r++) {
            if (skip[r]) continue;
            System.arraycopy(a, r * rowLen, out, o, rowLen);
            o += rowLen;
        }
        return out;
    }

    public static void expand(float[] kept, float[] into, boolean[] skip, int rowLen) {
        for (int r = 0, o = 0; r < skip.length; r++) {
            if (skip[r]) continue;
            System.arraycopy(kept, o, into, r * rowLen, rowLen);
            o += rowLen;
        }
    }

    public static int[] expand(int[] kept, boolean[] skip, int rowLen) {
        int[] out = new int[skip.length * rowLen];
        for (int r = 0, o = 0; r < skip.length; r++) {
            if (skip[r]) continue;
            System.arraycopy(kept, o, out, r * rowLen, rowLen);
            o += rowLen;
        }
        return out;
    }

    /** Dimensions of the kept rows. */
    public static long[] compactDims(long[] dims, boolean[] skip) {
        long[] d = dims.clone();
        d[0] = keptRows(skip);
        return d;
    }

    /** Steps of the kept rows: per-row steps (axis 0) lose the skipped rows' entries; other layouts repeat per row. */
    public static float[] compactSteps(float[] steps, int axis, boolean[] skip) {
        if (axis != 0) return steps;
        float[] s = new float[keptRows(skip)];
        for (int r = 0, o = 0; r < skip.length; r++) if (!skip[r]) s[o++] = steps[r];
        return s;
    }
}
