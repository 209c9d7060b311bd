package io.nnzip.arch;

import io.nnzip.data.Batch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.train.Losses;
import io.nnzip.train.Objective;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import java.util.List;
import java.util.Map;

/**
 * Joint training of an anytime model: backbone and heads together, minimizing Σ_i w_i·CE(exit_i) (BranchyNet-style
 * weighted exit losses). The trainer optimizes one output, so every exit's logits are concatenated into one
 * (N, E·K) training output; the objective splits it. The trained weights are copied back into the anytime model.
 * <pre>exit_i: (N,K), i < E -> training output: (N, E·K), labels: (N)</pre>
 */
public final class JointExitTraining {
    private JointExitTraining() {}

    /** Trains {@code anytime} in place (its initializers are replaced); returns the trainer's report. */
    public static Trainer.Report train(Model anytime, double[] weights, Dataset data, Normalization norm, Trainer.Options opt, TrainListener listener) {
        List<String> exits = anytime.graph().outputNames();
        if (weights.length != exits.size())
            throw new NnzipException("--exit-weights: " + weights.length + " weights given for " + exits.size() + " exits (the final output counts)");
        Model m = anytime.copy();
        Graph g = m.graph();
        String joined = g.freshName("exits_joined");
        Node cat = new Node(g.freshName("exits_concat"), "Concat", exits, List.of(joined));
        cat.set(Attribute.of("axis", 1L));
        g.nodes().add(cat);
        g.outputs().clear();
        g.outputs().add(new ValueInfo(joined, DType.FLOAT, null));
        opt.objective(objective(weights));
        try (Trainer t = new Trainer(m, opt)) {
            Trainer.Report r = t.fit(data, null, norm, listener);
            Map<String, Tensor> trained = t.model().graph().initializers();
            for (Map.Entry<String, Tensor> e : anytime.graph().initializers().entrySet()) {
                Tensor w = trained.get(e.getKey());
                if (w != null) e.setValue(w.copy());
            }
            return r;
        }
    }

    /** L = Σ_i w_i·CE(z_i, y) over the E exits' logits laid side by side: output (N, E·K). */
    static Objective objective(double[] weights) {
        return (Batch b, Tensor output, float[] grad) -> {
            int n = b.size(), e = weights.length, width = output.size() / n, k = width / e;
            if (output.size() != n * e * k) throw new NnzipException("joint exit training: output " + output + " is not (N, " + e + "·classes)");
            float[] out = output.floats(), z = new float[n * k], gz = new float[n * k];
            float loss = 0;
            for (int x = 0; x < e; x++) {
                for (int i = 0; i < n; i++) System.arraycopy(out, i * width + x * k, z, i * k, k);
                loss += (float) weights[x] * Losses.softmaxCrossEntropy(z, b.labels(), n, k, 0f, gz);
                for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) grad[i * width + x * k + j] = (float) weights[x] * gz[i * k + j];
            }
            return loss;
        };
    }
}
