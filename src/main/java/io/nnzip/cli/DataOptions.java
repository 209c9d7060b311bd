package io.nnzip.cli;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import picocli.CommandLine.Option;

/**
 * The options every command that reads a dataset shares ({@code @Mixin DataOptions data;}): which data, how its
 * pixels are normalized, and an optional cap for quick runs. Normalization follows one rule everywhere
 * ({@link Normalization#resolve}): --normalize, else what the model's metadata records, else none.
 */
public final class DataOptions {
    @Option(names = "--data", paramLabel = "DATA",
            description = "Dataset: fashion-mnist, mnist, an .npz (x_train/y_train/x_test/y_test) or an image folder (class per sub-folder).")
    public String data;

    @Option(names = "--normalize", paramLabel = "MEAN,STD",
            description = "Input normalization (x-MEAN)/STD on [0,1] pixels; per channel: M1,..,Mk,S1,..,Sk. Default: the model's recorded one, else none.")
    public String normalize;

    @Option(names = "--limit", paramLabel = "N", description = "Use only the first N images of each split (quick runs; 0 = all).")
    public int limit;

    @Option(names = "--no-progress", description = "No live progress bar.")
    public boolean noProgress;

    public String requireData(String command) {
        if (data == null || data.isBlank()) throw new NnzipException(command + " needs --data (e.g. --data fashion-mnist)");
        return data;
    }

    /** The split ("train" or "test"), capped by --limit. */
    public Dataset load(String command, String split) { return Datasets.load(requireData(command), split).head(limit); }

    public Normalization normalization(Model m) { return Normalization.resolve(normalize, m); }

    /**
     * Records --normalize in the model's metadata, so every later reader of the model (calibration, fine-tuning,
     * evaluation, the written output) sees the one normalization the user gave.
     */
    public void recordIn(Model m) {
        if (normalize != null) Normalization.parse(normalize).writeTo(m);
    }

    /** These options as the data stack's splits (train and test of --data, capped by --limit, normalized by --normalize). */
    public io.nnzip.data.DataSplits splits() { return spec().splits(); }

    /** These options as plain values (for a run in another process, or a pipeline that reads the data itself). */
    public io.nnzip.data.DataSpec spec() { return new io.nnzip.data.DataSpec(data, limit, normalize); }

    /** A pass context on these options' data. */
    public io.nnzip.pass.PassContext.Builder context(long seed) { return io.nnzip.pass.PassContext.builder().data(splits()).seed(seed); }
}
