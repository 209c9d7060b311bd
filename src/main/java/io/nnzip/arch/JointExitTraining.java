package io.nnzip.arch;

import io.nnzip.data.Batch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.train.Losses;
import io.nnzip.train.MultiObjective;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import java.util.List;
import java.util.Map;

/**
 * Joint training of an anytime model: backbone and heads together, minimizing Σ_i w_i·CE(exit_i) (BranchyNet-style
 * weighted exit losses). The trainer looks at every exit's logits at once; the trained weights are copied back into
 * the anytime model.
 * <pre>exit_i: (N,K), i < E, labels: (N)</pre>
 */
public final class JointExitTraining {
    private JointExitTraining() {}

    /** Trains {@code anytime} in place (its initializers are replaced); returns the trainer's report. */
    public static Trainer.Report train(Model anytime, double[] weights, Dataset data, Normalization norm, Trainer.Options opt, TrainListener listener) {
        List<String> exits = anytime.graph().outputNames();
        if (weights.length != exits.size())
            throw new NnzipException("--exit-weights: " + weights.length + " weights given for " + exits.size() + " exits (the final output counts)");
        // the final output first: it is the prediction the trainer counts for accuracy
        List<String> order = new java.util.ArrayList<>(exits);
        java.util.Collections.rotate(order, 1);
        opt.objective(objective(exits, weights), order);
        try (Trainer t = new Trainer(anytime, opt)) {
            Trainer.Report r = t.fit(data, null, norm, listener);
            Map<String, Tensor> trained = t.model().graph().initializers();
            for (Map.Entry<String, Tensor> e : anytime.graph().initializers().entrySet()) {
                Tensor w = trained.get(e.getKey());
                if (w != null) e.setValue(w.copy());
            }
            return r;
        }
    }

    /** L = Σ_i w_i·CE(z_i, y), exit i's logits z_i: (N, K). */
    static MultiObjective objective(List<String> exits, double[] weights) {
        return (Batch b, Map<String, Tensor> outs, Map<String, float[]> grads) -> {
            int n = b.size();
            float loss = 0;
            for (int x = 0; x < exits.size(); x++) {
                Tensor z = outs.get(exits.get(x));
                int k = z.size() / n;
                if (z.size() != n * k) throw new NnzipException("joint exit training: exit '" + exits.get(x) + "' " + z + " is not (N, classes)");
                float[] g = grads.get(exits.get(x));
                loss += (float) weights[x] * Losses.softmaxCrossEntropy(z.floats(), b.labels(), n, k, 0f, g);
                for (int i = 0; i < g.length; i++) g[i] *= (float) weights[x];
            }
            return loss;
        };
    }
}
