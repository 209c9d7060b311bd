package io.nnzip.quant.report;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.calib.LabeledData;
import java.util.Map;

/** A model's first output over a data set, run in ONNX Runtime in batches: logits and top-1 classes. */
public record Predictions(float[][] logits, int[] top1) {
    public static Predictions of(Model m, LabeledData data, int batch, int threads) {
        try (OrtRunner r = new OrtRunner(m, threads)) {
            String in = m.graph().runtimeInputs().get(0).name(), out = m.graph().outputNames().get(0);
            float[][] logits = new float[data.size()][];
            int i = 0;
            for (Tensor b : data.batches(batch)) {
                Tensor y = r.run(Map.of(in, b)).get(out);
                int n = y.dim(0), k = y.size() / n;
                float[] v = y.toFloats();
                for (int s = 0; s < n; s++) logits[i++] = java.util.Arrays.copyOfRange(v, s * k, (s + 1) * k);
            }
            int[] top = new int[logits.length];
            for (int s = 0; s < logits.length; s++) top[s] = argmax(logits[s]);
            return new Predictions(logits, top);
        }
    }

    static int argmax(float[] v) { return io.nnzip.train.Evaluator.argmax(v, 0, v.length); }

    /** Percent of samples whose top-1 equals the label. */
    public double accuracy(int[] labels) {
        int ok = 0;
        for (int i = 0; i < top1.length; i++) if (top1[i] == labels[i]) ok++;
        return 100.0 * ok / top1.length;
    }

    /** Percent of samples where both models pick the same class. */
    public double agreement(Predictions o) {
        int ok = 0;
        for (int i = 0; i < top1.length; i++) if (top1[i] == o.top1[i]) ok++;
        return 100.0 * ok / top1.length;
    }

    /** Mean squared difference of the logits, the output error sensitivity analysis ranks layers by. */
    public double mse(Predictions o) {
        double s = 0;
        long n = 0;
        for (int i = 0; i < logits.length; i++)
            for (int j = 0; j < logits[i].length; j++) {
                double d = logits[i][j] - o.logits[i][j];
                s += d * d;
                n++;
            }
        return n == 0 ? 0 : s / n;
    }
}
