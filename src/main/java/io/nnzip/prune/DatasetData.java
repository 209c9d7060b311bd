package io.nnzip.prune;

import io.nnzip.ir.NnzipException;

/** Labelled datasets (e.g. fashion-mnist) for accuracy and fine-tuning, through the training engine. */
final class DatasetData {
    private DatasetData() {}

    static PruneData of(String spec) {
        throw new NnzipException("dataset '" + spec + "' needs the training engine (io.nnzip.data), which this build does not include; pass an .npy of inputs for calibration");
    }
}
