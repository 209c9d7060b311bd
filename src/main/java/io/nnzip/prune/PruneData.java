package io.nnzip.prune;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.numpy.Npy;
import io.nnzip.prune.dep.ValueProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where pruning gets inputs: calibration batches for data-driven criteria, and, when the data has labels and a
 * trainer is available, accuracy and fine-tuning. {@link #forSpec} resolves a {@code --data}/{@code --calib-data} value.
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

    /** An .npy of inputs (N, ...) for the model's single input, cut into batches. */
    static PruneData npy(Path file) {
        Tensor all = Npy.read(file);
        return new PruneData() {
            @Override
            public Iterable<Map<String, Tensor>> calibration(Model m, int batches, int batchSize, long seed) {
                List<ValueInfo> ins = m.graph().runtimeInputs();
                if (ins.size() != 1) throw new NnzipException("calibration from " + file + " needs a model with one input, it has " + ins.size());
                int n = all.dim(0), per = all.size() / n;
                float[] x = all.toFloats();
                List<Map<String, Tensor>> out = new ArrayList<>();
                for (int b = 0; b < batches && b * batchSize < n; b++) {
                    int lo = b * batchSize, hi = Math.min(n, lo + batchSize);
                    int[] shape = all.shape();
                    shape[0] = hi - lo;
                    out.add(Map.of(ins.get(0).name(), Tensor.of(java.util.Arrays.copyOfRange(x, lo * per, hi * per), shape)));
                }
                return out;
            }

            @Override
            public String describe() { return file.toString(); }
        };
    }

    static PruneData forSpec(String spec) { return forSpec(spec, 0, 1e-3f, 1); }

    /**
     * @param limit first N images of each split (0 = all); @param lr fine-tuning learning rate (Adam, cosine)
     */
    static PruneData forSpec(String spec, int limit, float lr, long seed) {
        if (spec == null) return random();
        if (spec.endsWith(".npy")) {
            if (!Files.isRegularFile(Path.of(spec))) throw new NnzipException("calibration file " + spec + " does not exist");
            return npy(Path.of(spec));
        }
        return new DatasetData(spec, limit, lr, seed);
    }
}
