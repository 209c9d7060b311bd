package io.nnzip.data;

import io.nnzip.ir.Tensor;

/** A mini-batch: normalized images (N,C,H,W) and their labels. */
public record Batch(Tensor images, int[] labels) {
    public int size() { return labels.length; }
}
