package io.nnzip.dist;

import io.nnzip.data.DataSplits;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.pass.PassContext;
import io.nnzip.prune.PruneData;
import io.nnzip.prune.Sensitivity;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * A sensitivity sweep as bytes and plain values, so that any process (the CLI, a Spark executor) rebuilds the same
 * inputs from it: the model travels as ONNX bytes, the dataset is read by each process from its own path.
 * Same spec and seed give the same rows wherever they are computed.
 */
public record SensitivitySpec(byte[] model, String data, int limit, String calibData, String normalize, List<Double> amounts,
                              String method, int calibBatches, int batchSize, long seed) implements Serializable {
    public SensitivitySpec {
        amounts = List.copyOf(amounts);
    }

    /** Rows the sweep will have (structure only: no data read). */
    public int groupCount() { return io.nnzip.prune.StructuredPruner.Analysis.of(OnnxReader.read(model, null)).prunableGroups().size(); }

    /** Reads the data and computes what every row shares. */
    public Sensitivity.Prepared prepare() {
        return prepare(PassContext.builder().build().threads());
    }

    /**
     * As {@link #prepare()}, evaluating with {@code threads} ONNX Runtime threads: a Spark task gets its slot's cores,
     * and two tasks of two threads each on a 2-core executor would share its cores four ways.
     */
    public Sensitivity.Prepared prepare(int threads) {
        return prepare(threads, threads);
    }

    /**
     * As {@link #prepare(int)}, computing the shared part (the baseline evaluation) with {@code sharedThreads}: on a
     * Spark executor the sweep's other tasks wait for it, so it may use all of the executor's cores, while every point
     * keeps its task's {@code threads}.
     */
    public Sensitivity.Prepared prepare(int threads, int sharedThreads) {
        Model m = OnnxReader.read(model, null);
        DataSplits splits = DataSplits.load(data, limit).withCalibration(calibData, limit)
                .normalized(normalize == null ? null : Normalization.parse(normalize));
        PruneData calib = PruneData.of(PassContext.builder().data(splits).seed(seed).threads(threads).build(), 0f, seed);
        PruneData shared = sharedThreads == threads ? calib : PruneData.of(PassContext.builder().data(splits).seed(seed).threads(sharedThreads).build(), 0f, seed);
        Iterable<Map<String, Tensor>> batches = calib.calibration(m, calibBatches, batchSize, seed);
        return Sensitivity.prepare(m, method, amounts, batches, calib.labelled(m, calibBatches, batchSize, seed), calib.accuracy(), shared.accuracy(), seed);
    }
}
