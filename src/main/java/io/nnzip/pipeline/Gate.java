package io.nnzip.pipeline;

import io.nnzip.eval.ModelStats;
import io.nnzip.eval.OrtLatency;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The "does it run, and is it faster" gate after every step: the model must load and run in ONNX Runtime with
 * the original output shape and finite outputs; then its size, MACs, latency, accuracy and agreement with the
 * previous step are measured.
 */
public final class Gate {
    /** Top-1 accuracy in percent of a model on held-out data (run in ONNX Runtime). */
    @FunctionalInterface
    public interface Accuracy {
        double of(Model m);
    }

    /** Size in bytes of a model coded as .nnz with the default settings. */
    @FunctionalInterface
    public interface CodedSize {
        long of(Model m);
    }

    /** A measured model plus its probe output; {@code problem} says why the model fails the gate, or is null. */
    public record Check(Measurement measurement, Tensor output, String problem) {}

    private final Map<String, Tensor> probe;
    private final int threads;
    private final Accuracy accuracy;
    private final CodedSize codedSize;

    public Gate(Map<String, Tensor> probe, int threads, Accuracy accuracy, CodedSize codedSize) {
        this.probe = probe;
        this.threads = threads;
        this.accuracy = accuracy;
        this.codedSize = codedSize;
    }

    public Check check(Model m, Path file, Tensor previous, int[] expectedShape) {
        Tensor out;
        try (OrtRunner r = new OrtRunner(m, threads)) {
            out = r.run(probe).values().iterator().next();
        } catch (NnzipException e) {
            return new Check(null, null, "does not run in ONNX Runtime: " + e.getMessage());
        }
        if (expectedShape != null && !Arrays.equals(expectedShape, out.shape()))
            return new Check(null, out, "output shape changed from " + Arrays.toString(expectedShape) + " to " + Arrays.toString(out.shape()));
        float[] y = out.toFloats();
        for (float v : y) if (!Float.isFinite(v)) return new Check(null, out, "outputs are not finite");
        Double agreement = null, maxRel = null;
        if (previous != null) {
            agreement = topOneAgreement(previous, out);
            maxRel = maxRelativeDiff(previous.toFloats(), y);
        }
        ModelStats s = ModelStats.of(m);
        long fileBytes;
        try {
            fileBytes = Files.size(file);
        } catch (java.io.IOException e) {
            throw new NnzipException("cannot stat " + file);
        }
        double ms = OrtLatency.measure(m, probe, threads).medianMs();
        Double acc = accuracy == null ? null : accuracy.of(m);
        Long coded = codedSize == null ? null : codedSize.of(m);
        // sparsity is that of the weights the layers multiply by: after k-means or int8 the stored tensors are indices
        Map<String, float[]> weights = WeightValues.of(m);
        Measurement meas = new Measurement(s.params, s.macs, fileBytes, coded, acc, agreement, maxRel, ms, WeightValues.totalSparsity(weights),
                WeightValues.sparsity(weights), layerBits(m));
        return new Check(meas, out, null);
    }

    static double topOneAgreement(Tensor a, Tensor b) {
        int rows = a.rank() == 0 ? 1 : a.dim(0);
        int cols = a.size() / Math.max(1, rows);
        float[] x = a.toFloats(), y = b.toFloats();
        int same = 0;
        for (int r = 0; r < rows; r++) if (argmax(x, r * cols, cols) == argmax(y, r * cols, cols)) same++;
        return (double) same / rows;
    }

    static int argmax(float[] v, int off, int n) { return io.nnzip.train.Evaluator.argmax(v, off, n); }

    static double maxRelativeDiff(float[] a, float[] b) {
        double scale = 1e-12, diff = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(a[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff / scale;
    }

    /** Bits each weight tensor needs for the distinct values it holds: log2 of the count, or the type's width. */
    static Map<String, Integer> layerBits(Model m) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.graph().initializers().entrySet()) {
            Tensor t = e.getValue();
            if (t.rank() < 2 || t.dtype() == DType.INT64 || t.dtype() == DType.STRING) continue;
            int width = t.dtype() == DType.FLOAT ? 32 : t.dtype() == DType.INT4 || t.dtype() == DType.UINT4 ? 4 : 8 * Math.max(1, t.dtype().size);
            Set<Long> distinct = new HashSet<>();
            for (int i = 0; i < t.size() && distinct.size() <= 256; i++)
                distinct.add(t.dtype() == DType.FLOAT ? Float.floatToIntBits(t.floats()[i]) : t.getLong(i));
            int bits = distinct.size() > 256 ? width : Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(1, distinct.size() - 1)));
            out.put(e.getKey(), Math.min(bits, width));
        }
        return out;
    }
}
