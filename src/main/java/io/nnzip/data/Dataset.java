package io.nnzip.data;

import io.nnzip.ir.NnzipException;
import java.util.SplittableRandom;

/**
 * A labelled image set held in memory: pixels as floats in their source scale (8-bit sources become [0,1]),
 * laid out (N,C,H,W), and one class index per image. Normalization is applied per batch, not stored.
 */
public final class Dataset {
    private final String name;
    private final float[] pixels;
    private final int[] labels;
    private final int channels, height, width, classes;
    private final boolean labelled;

    public Dataset(String name, float[] pixels, int[] labels, int channels, int height, int width, int classes) {
        this(name, pixels, labels, channels, height, width, classes, true);
    }

    /** Images without labels (calibration inputs): every label reads 0 and {@link #labelled()} is false. */
    public static Dataset unlabelled(String name, float[] pixels, int count, int channels, int height, int width) {
        return new Dataset(name, pixels, new int[count], channels, height, width, 1, false);
    }

    private Dataset(String name, float[] pixels, int[] labels, int channels, int height, int width, int classes, boolean labelled) {
        if (pixels.length != (long) labels.length * channels * height * width)
            throw new NnzipException(name + ": " + pixels.length + " pixel values do not make " + labels.length + " images of " + channels + "x" + height + "x" + width);
        for (int l : labels) if (l < 0 || l >= classes) throw new NnzipException(name + ": label " + l + " outside [0, " + classes + ")");
        this.name = name;
        this.pixels = pixels;
        this.labels = labels;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classes = classes;
        this.labelled = labelled;
    }

    /** False for input-only data (an .npy of images), which can calibrate but not measure accuracy or train. */
    public boolean labelled() { return labelled; }

    public String name() { return name; }

    public int size() { return labels.length; }

    public int channels() { return channels; }

    public int height() { return height; }

    public int width() { return width; }

    public int classes() { return classes; }

    public int imageSize() { return channels * height * width; }

    public float[] pixels() { return pixels; }

    public int[] labels() { return labels; }

    public int label(int i) { return labels[i]; }

    /** The images at {@code idx}, in that order (a copy). */
    public Dataset subset(int[] idx, String subName) {
        int is = imageSize();
        float[] px = new float[idx.length * is];
        int[] lb = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(pixels, idx[i] * is, px, i * is, is);
            lb[i] = labels[idx[i]];
        }
        return new Dataset(subName, px, lb, channels, height, width, classes, labelled);
    }

    /** The first {@code n} images (all when n ≤ 0 or n ≥ size). */
    public Dataset head(int n) {
        if (n <= 0 || n >= size()) return this;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        return subset(idx, name);
    }

    /** The last {@code n} images, in stored order (0 &lt; n ≤ size). */
    public Dataset tail(int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = size() - n + i;
        return subset(idx, name + " (last " + n + ")");
    }

    /** A seeded random split: {train, validation} with {@code valCount} images held out. */
    public Dataset[] split(int valCount, long seed) {
        if (valCount <= 0 || valCount >= size()) throw new NnzipException(name + ": cannot hold out " + valCount + " of " + size() + " images");
        int[] perm = Shuffle.permutation(size(), new SplittableRandom(seed));
        int[] val = java.util.Arrays.copyOf(perm, valCount), tr = java.util.Arrays.copyOfRange(perm, valCount, size());
        java.util.Arrays.sort(val);
        java.util.Arrays.sort(tr);
        return new Dataset[] {subset(tr, name + " (train part)"), subset(val, name + " (validation part)")};
    }
}
