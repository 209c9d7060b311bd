package io.nnzip.data;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import java.util.function.Supplier;

/**
 * The data a pass may use, held in memory: a training split (fine-tuning, and calibration unless calibration
 * images are given), a validation split (accuracy), optional calibration images, and the input normalization.
 * Splits named by a spec ({@link Datasets#load}) are read on first use, so a pass that needs no training data
 * never reads it. Normalization follows one rule ({@link #normalization}): the explicit one, else the model's
 * recorded one, else none.
 */
public final class DataSplits {
    private final Supplier<Dataset> train, val, calib;
    private final Normalization normalization;
    private final String description;

    private DataSplits(Supplier<Dataset> train, Supplier<Dataset> val, Supplier<Dataset> calib, Normalization normalization, String description) {
        this.train = train;
        this.val = val;
        this.calib = calib;
        this.normalization = normalization;
        this.description = description;
    }

    /** No data: passes that need some say so. */
    public static DataSplits none() { return new DataSplits(() -> null, () -> null, () -> null, null, "none"); }

    /** In-memory splits (either may be null). */
    public static DataSplits of(Dataset train, Dataset val) {
        String d = train != null ? train.name() : val != null ? val.name() : "none";
        return new DataSplits(() -> train, () -> val, () -> null, null, d);
    }

    /** A {@code --data} spec (fashion-mnist, mnist, .npz, .npy, image folder): train and test splits, each capped at {@code limit} (0 = all). */
    public static DataSplits load(String spec, int limit) {
        if (spec == null || spec.isBlank()) return none();
        return new DataSplits(memo(() -> Datasets.load(spec, "train").head(limit)), memo(() -> Datasets.load(spec, "test").head(limit)), () -> null, null, spec);
    }

    /** These splits with their own calibration images (null keeps calibration on the training split). */
    public DataSplits withCalibration(Dataset images) {
        return images == null ? this : new DataSplits(train, val, () -> images, normalization, description);
    }

    /** These splits with calibration images read from a spec's training split (null keeps the training split). */
    public DataSplits withCalibration(String spec, int limit) {
        if (spec == null || spec.isBlank()) return this;
        return new DataSplits(train, val, memo(() -> Datasets.load(spec, "train").head(limit)), normalization, description);
    }

    /** These splits with another validation split (null: none). */
    public DataSplits withValidation(Dataset d) { return new DataSplits(train, () -> d, calib, normalization, description); }

    /**
     * These splits with the last {@code n} training images as the validation split: they leave the training split
     * (fine-tuning never sees them) and replace the test split for every accuracy a pass or gate measures.
     */
    public DataSplits holdingOut(int n) {
        Supplier<Dataset> all = train;
        Supplier<Dataset> fit = memo(() -> {
            Dataset d = all.get();
            checkHoldOut(d, n);
            return d.head(d.size() - n);
        });
        Supplier<Dataset> held = memo(() -> {
            Dataset d = all.get();
            checkHoldOut(d, n);
            return d.tail(n);
        });
        return new DataSplits(fit, held, calib, normalization, description);
    }

    /** --val-images must leave at least one training image. */
    public static void checkHoldOut(Dataset d, int n) {
        if (d == null) throw new NnzipException("--val-images needs training data (--data)");
        if (n <= 0 || n >= d.size()) throw new NnzipException("--val-images " + n + " must be in [1, " + (d.size() - 1) + "] (training images: " + d.size() + ")");
    }

    /** These splits normalized by {@code n} whatever the model records (null: use the model's recorded one). */
    public DataSplits normalized(Normalization n) { return new DataSplits(train, val, calib, n, description); }

    /** The training split, or null when there is none. */
    public Dataset train() { return train.get(); }

    /** The validation split, or null when there is none. */
    public Dataset val() { return val.get(); }

    /** Calibration images: the own ones, else the training split, else null. */
    public Dataset calibration() {
        Dataset c = calib.get();
        return c != null ? c : train();
    }

    public boolean hasCalibration() { return calib.get() != null; }

    /** The training split, or an error naming {@code who} when there is none. */
    public Dataset requireTrain(String who) {
        Dataset d = train();
        if (d == null) throw new NnzipException(who + " needs training data (--data)");
        if (!d.labelled()) throw new NnzipException(who + " needs labelled data; " + d.name() + " has no labels");
        return d;
    }

    /** The validation split, or an error naming {@code who} when there is none. */
    public Dataset requireVal(String who) {
        Dataset d = val();
        if (d == null) throw new NnzipException(who + " needs labelled data (--data)");
        if (!d.labelled()) throw new NnzipException(who + " needs labelled data; " + d.name() + " has no labels");
        return d;
    }

    /** The explicit normalization, or null when the model's recorded one applies. */
    public Normalization explicitNormalization() { return normalization; }

    /** What {@code m}'s inputs are normalized with: the explicit normalization, else the model's recorded one, else none. */
    public Normalization normalization(Model m) {
        if (normalization != null) return normalization;
        Normalization fromModel = m == null ? null : Normalization.fromMetadata(m);
        return fromModel != null ? fromModel : Normalization.NONE;
    }

    public String describe() { return description; }

    private static Supplier<Dataset> memo(Supplier<Dataset> s) {
        return new Supplier<>() {
            private Dataset d;

            @Override
            public synchronized Dataset get() {
                if (d == null) d = s.get();
                return d;
            }
        };
    }
}
