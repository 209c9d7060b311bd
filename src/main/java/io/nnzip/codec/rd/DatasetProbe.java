package io.nnzip.codec.rd;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.train.Evaluator;
import java.util.ArrayList;
import java.util.List;

/**
 * Top-1 accuracy of a model on a fixed test set, run in ONNX Runtime through the shared {@link Evaluator}: what
 * {@code --max-drop} keeps within bound; and the divergence of its predictions from a reference model's. The
 * normalization is resolved once, from the original model (its metadata or the user's --normalize), so every trial
 * is fed exactly what the original model expects.
 */
public final class DatasetProbe implements OutputProbe {
    private static final int BATCH = 500;
    private final Dataset data;
    private final Normalization norm;
    private final int threads;
    private double[][] refLogProbs;
    /** Per image (in the data's order): whether the reference model's top-1 class is the label. */
    private boolean[] refCorrect;

    public DatasetProbe(Dataset data, Normalization norm, int threads) {
        this.data = data;
        this.norm = norm;
        this.threads = Math.max(1, threads);
    }

    public int size() { return data.size(); }

    @Override
    public double accuracy(Model m) { return run(m, null); }

    @Override
    public double reference(Model m) {
        List<float[]> logits = new ArrayList<>();
        double acc = run(m, logits);
        refLogProbs = logSoftmax(logits);
        refCorrect = correct(logits);
        return acc;
    }

    @Override
    public double[] paired(Model m) {
        if (refCorrect == null) throw new IllegalStateException("no reference model");
        List<float[]> logits = new ArrayList<>();
        double acc = run(m, logits);
        boolean[] c = correct(logits);
        int n = c.length, lost = 0, gained = 0;
        for (int i = 0; i < n; i++) {
            if (refCorrect[i] && !c[i]) lost++;
            else if (!refCorrect[i] && c[i]) gained++;
        }
        double d = (lost + gained) / (double) n, delta = (gained - lost) / (double) n;
        return new double[] {acc, Math.sqrt(Math.max(0, d - delta * delta) / n)};
    }

    /** Per image: top-1 class (the first maximum, as {@link Evaluator} counts it) equals the label. */
    private boolean[] correct(List<float[]> logits) {
        int k = data.classes(), i = 0;
        int[] labels = data.labels();
        boolean[] out = new boolean[labels.length];
        for (float[] z : logits)
            for (int r = 0; r + k <= z.length; r += k, i++) {
                int best = r;
                for (int j = r + 1; j < r + k; j++) if (z[j] > z[best]) best = j;
                out[i] = best - r == labels[i];
            }
        if (i != labels.length) throw new IllegalStateException(i + " predictions for " + labels.length + " images");
        return out;
    }

    @Override
    public double[] measure(Model m) {
        if (refLogProbs == null) throw new IllegalStateException("no reference model");
        List<float[]> logits = new ArrayList<>();
        double acc = run(m, logits);
        double[][] lp = logSoftmax(logits);
        double kl = 0;
        int n = 0;
        for (int b = 0; b < lp.length; b++) {
            double[] p = refLogProbs[b], q = lp[b];
            for (int i = 0; i < p.length; i++) kl += Math.exp(p[i]) * (p[i] - q[i]);
            n += p.length;
        }
        int k = data.classes();
        return new double[] {acc, kl / (n / (double) k)};
    }

    /**
     * Fraction (0..1) of the images on which {@code m}'s top-1 class equals the reference model's (see
     * {@link #reference}); the labels play no part. A paired criterion: it counts every changed prediction, where an
     * accuracy difference lets gains cancel losses.
     */
    public double agreement(Model m) {
        if (refLogProbs == null) throw new IllegalStateException("no reference model");
        List<float[]> logits = new ArrayList<>();
        run(m, logits);
        int k = data.classes(), same = 0, n = 0;
        for (int b = 0; b < refLogProbs.length; b++) {
            double[] p = refLogProbs[b];
            float[] z = logits.get(b);
            for (int r = 0; r + k <= p.length; r += k, n++) {
                int ip = r, iz = r;
                for (int j = r + 1; j < r + k; j++) {
                    if (p[j] > p[ip]) ip = j;
                    if (z[j] > z[iz]) iz = j;
                }
                if (ip == iz) same++;
            }
        }
        return n == 0 ? 1 : same / (double) n;
    }

    private double run(Model m, List<float[]> logits) {
        try (OrtRunner r = new OrtRunner(m, threads)) {
            Evaluator.Predictor p = Evaluator.ort(m, r);
            Evaluator.Predictor rec = logits == null ? p : x -> {
                var y = p.predict(x);
                int n = x.dim(0), k = data.classes(), kk = y.size() / n;
                float[] z = y.toFloats(), row = new float[n * k];
                for (int i = 0; i < n; i++) System.arraycopy(z, i * kk, row, i * k, k);
                logits.add(row);
                return y;
            };
            return Evaluator.evaluate(rec, data, norm, BATCH).accuracy();
        }
    }

    // Log-softmax over rows of data.classes() scores, batch by batch.
    private double[][] logSoftmax(List<float[]> logits) {
        int k = data.classes();
        double[][] out = new double[logits.size()][];
        for (int b = 0; b < out.length; b++) {
            float[] z = logits.get(b);
            double[] o = new double[z.length];
            for (int r = 0; r + k <= z.length; r += k) {
                double mx = Double.NEGATIVE_INFINITY, s = 0;
                for (int j = 0; j < k; j++) mx = Math.max(mx, z[r + j]);
                for (int j = 0; j < k; j++) s += Math.exp(z[r + j] - mx);
                double ls = mx + Math.log(s);
                for (int j = 0; j < k; j++) o[r + j] = z[r + j] - ls;
            }
            out[b] = o;
        }
        return out;
    }
}
