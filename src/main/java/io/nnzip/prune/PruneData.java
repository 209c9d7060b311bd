package io.nnzip.prune;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.dep.ValueProbe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where pruning gets inputs: calibration batches for data-driven criteria, and, when the data has labels and a
 * trainer is available, accuracy and fine-tuning. {@link #of} wraps the data stack's splits.
 */
public interface PruneData {
    /** Up to {@code batches} input feeds of {@code batchSize} examples each. */
    Iterable<Map<String, Tensor>> calibration(Model m, int batches, int batchSize, long seed);

    /** Labelled training batches (for gradient-based criteria), or null when the data has no labels. */
    default Iterable<io.nnzip.data.Batch> labelled(Model m, int batches, int batchSize, long seed) { return null; }

    /** Accuracy on held-out labelled data, or null when the data has no labels. */
    default Accuracy accuracy() { return null; }

    /** Images one fine-tuning epoch trains on (0 when there is no fine-tuning). */
    default int trainingImages() { return 0; }

    /** Fine-tuning on the data's training split, or null when unavailable. */
    default FineTune fineTune() { return null; }

    String describe();

    /** Random uniform [-1, 1) inputs: enough to rank channels structurally, but not data. */
    static PruneData random() {
        return new PruneData() {
            @Override
            public Iterable<Map<String, Tensor>> calibration(Model m, int batches, int batchSize, long seed) {
                List<Map<String, Tensor>> out = new ArrayList<>();
                for (int i = 0; i < batches; i++) out.add(ValueProbe.randomFeeds(m, batchSize, seed + i));
                return out;
            }

            @Override
            public String describe() { return "random inputs"; }
        };
    }

    /** Data from the one data stack; {@code lr} and {@code seed} drive fine-tuning. Random inputs when there is none. */
    static PruneData of(io.nnzip.pass.PassContext ctx, float lr, long seed) {
        if (ctx.data().calibration() == null) return random();
        return new DatasetData(ctx, lr, seed);
    }
}
