package io.nnzip.codec.binarize;

/**
 * The sig context class of level scheme 2 (format version 7): how often the level's column (its position within a
 * row: an input of a fully connected layer, an input channel and kernel tap of a convolution) was nonzero in the
 * rows coded before it, relative to the density of the whole slice so far. Fine-tuning changes a layer's weights
 * column by column: an input that is rarely active gets small gradients in every row, an input that carries the new
 * feature moves in many rows at once, so for an update the column is a better predictor of a nonzero level than
 * its neighbours in the row. Everything is counted from levels already coded in the slice, so the decoder derives
 * the same classes; the arithmetic is integer only.
 */
public final class ColumnActivity {
    /** Classes: 0 = column not yet seen in this slice; then the column's rate against the slice's, below 1/2, below 2, above. */
    public static final int CLASSES = 4;
    private final int rowLen;
    private final int[] count, visits;
    private long nonzero, seen;

    /** A tracker for rows of {@code rowLen} levels (row-major: the level at index i is in column i mod rowLen). */
    public ColumnActivity(int rowLen) {
        this.rowLen = rowLen;
        this.count = new int[rowLen];
        this.visits = new int[rowLen];
    }

    public int column(int index) { return index % rowLen; }

    /** Class of a level in column {@code c}. */
    public int classOf(int c) {
        int v = visits[c];
        if (v == 0) return 0;
        // rate = (2·count + 1) / (2·visits), slice rate = (nonzero + 1) / (seen + 2): compare their ratio with 1/2 and 2.
        long a = (2L * count[c] + 1) * (seen + 2), b = 2L * v * (nonzero + 1);
        if (2 * a < b) return 1;
        if (a < 2 * b) return 2;
        return 3;
    }

    public void update(int c, boolean sig) {
        visits[c]++;
        seen++;
        if (sig) {
            count[c]++;
            nonzero++;
        }
    }
}
