package io.nnzip.serve;

import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Federated averaging: the sample-weighted mean of several clients' models (float tensors; others from the first). */
public final class FedAvg {
    private FedAvg() {}

    public static Model average(List<Model> models, long[] samples) {
        if (models.isEmpty()) throw new NnzipException("nothing to average");
        double total = 0;
        for (long s : samples) total += s;
        Model out = models.getFirst().copy();
        for (Map.Entry<String, Tensor> e : out.graph().initializers().entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() != DType.FLOAT) continue;
            double[] acc = new double[(int) t.size()];
            for (int i = 0; i < models.size(); i++) {
                Tensor c = models.get(i).graph().initializer(e.getKey());
                if (c == null || c.dtype() != DType.FLOAT || !Arrays.equals(c.shape(), t.shape()))
                    throw new NnzipException("contribution " + (i + 1) + " does not have tensor '" + e.getKey() + "' shaped " + Arrays.toString(t.shape()));
                float[] f = c.floats();
                double wt = samples[i] / total;
                for (int j = 0; j < f.length; j++) acc[j] += wt * f[j];
            }
            float[] r = new float[acc.length];
            for (int j = 0; j < r.length; j++) r[j] = (float) acc[j];
            e.setValue(new Tensor(DType.FLOAT, t.shape(), r));
        }
        return out;
    }
}
