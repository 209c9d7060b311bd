package io.nnzip.data;

import java.io.Serializable;

/**
 * The data a run names, as plain values that can travel to another process: a {@code --data} spec, a cap per split
 * and an explicit normalization ("MEAN,STD" or per channel; null or blank: the model's recorded one). The splits are
 * read where {@link #splits} is called.
 */
public record DataSpec(String data, int limit, String normalize) implements Serializable {
    public DataSplits splits() {
        return DataSplits.load(data, limit).normalized(normalize == null || normalize.isBlank() ? null : Normalization.parse(normalize));
    }
}
