package io.nnzip.pipeline;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.data.Augment;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.DataSplits;
import io.nnzip.data.Dataset;
import io.nnzip.data.ModelInputs;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.train.Evaluator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The gate a recipe run uses: accuracy on the validation split when there is one, else random probes only. */
public final class Gates {
    private Gates() {}

    public static Gate of(Model m, DataSplits data, int threads) {
        Dataset test = data.val();
        if (test == null || !test.labelled()) return new Gate(randomProbe(m), threads, null, Gates::codedSize);
        Normalization norm = data.normalization(m);
        Map<String, Tensor> probe;
        try (BatchLoader l = new BatchLoader(test.head(256), 256, false, norm, Augment.NONE, 0, 0)) {
            probe = Map.of(inputName(m), ModelInputs.fitToInput(l.next().images(), m));
        }
        Gate.Accuracy acc = x -> {
            try (OrtRunner ort = new OrtRunner(x, threads)) {
                return 100.0 * Evaluator.evaluate(Evaluator.ort(x, ort), test, data.normalization(x), 256).accuracy();
            }
        };
        return new Gate(probe, threads, acc, Gates::codedSize);
    }

    static long codedSize(Model m) { return NnzCodec.encode(m, CodecOptions.defaults()).length; }

    static String inputName(Model m) {
        List<ValueInfo> ins = m.graph().runtimeInputs();
        if (ins.size() != 1) throw new NnzipException("compress handles single-input models; this one has " + ins.size());
        return ins.get(0).name();
    }

    /** Random N(0,1) probe of the declared input shape (symbolic dims: 8 for the batch, 1 elsewhere). */
    static Map<String, Tensor> randomProbe(Model m) {
        ValueInfo v = m.graph().runtimeInputs().get(0);
        int[] shape = v.concreteShape(1);
        if (shape == null) throw new NnzipException("input '" + v.name() + "' has no declared shape; pass --data");
        if (shape.length > 0 && !v.dims().get(0).known()) shape[0] = 8;
        if (v.dtype() != null && v.dtype() != DType.FLOAT) throw new NnzipException("compress needs a float32 input; '" + v.name() + "' is " + v.dtype().lower());
        SplittableRandom rnd = new SplittableRandom(1);
        Tensor t = Tensor.zeros(DType.FLOAT, shape);
        float[] x = t.floats();
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return Map.of(inputName(m), t);
    }
}
