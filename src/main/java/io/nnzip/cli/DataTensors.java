package io.nnzip.cli;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Tensor;

/** A dataset's images as one normalized (N,C,H,W) tensor, for calibration and cached-feature passes. */
final class DataTensors {
    private DataTensors() {}

    static Tensor images(Dataset d, Normalization norm) {
        float[] x = d.pixels().clone();
        norm.apply(x, 0, d.size(), d.channels(), d.height() * d.width());
        return Tensor.of(x, d.size(), d.channels(), d.height(), d.width());
    }
}
