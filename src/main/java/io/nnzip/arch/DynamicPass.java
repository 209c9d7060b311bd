package io.nnzip.arch;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.ShapeInference;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import io.nnzip.engine.ValueType;
import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.pass.Provenance;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dynamic (anytime) pass: attach exit heads, fit them on the frozen backbone's features (optionally then train
 * everything jointly), record the stage
 * costs, and measure the accuracy/average-MAC curve over confidence thresholds on evaluation data.
 */
public final class DynamicPass {
    public static final double[] THRESHOLDS = {0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999, 1.01};

    public record Result(Model model, long baselineMacs, long[] cumulativeMacs, double[] exitAccuracies, List<ExitCurve.Point> curve,
                         ExitCurve.Point atThreshold) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("baseline_macs", baselineMacs);
            m.put("exit_macs", cumulativeMacs);
            if (exitAccuracies != null) m.put("exit_accuracies", exitAccuracies);
            if (atThreshold != null) m.put("at_threshold", atThreshold.toJson());
            if (curve != null) m.put("curve", curve.stream().map(ExitCurve.Point::toJson).toList());
            return m;
        }
    }

    private DynamicPass() {}

    /** @param evalX evaluation inputs (may be null: no curve) */
    public static Result run(Model backbone, DynamicConfig cfg, Tensor trainX, int[] trainY, Tensor evalX, int[] evalY) {
        return run(backbone, cfg, trainX, trainY, evalX, evalY, null, null, null);
    }

    /**
     * As above; with {@code training = joint} the heads are first fitted on the frozen backbone (a good start), then
     * backbone and heads are trained together on {@code jointData} with the weighted sum of the exits' losses.
     */
    public static Result run(Model backbone, DynamicConfig cfg, Tensor trainX, int[] trainY, Tensor evalX, int[] evalY, Dataset jointData,
                             Normalization norm, TrainListener listener) {
        boolean joint = cfg.training().equals("joint");
        if (!joint && !cfg.training().equals("frozen")) throw new NnzipException("--training must be frozen or joint, got '" + cfg.training() + "'");
        if (joint && jointData == null) throw new NnzipException("--training joint needs training data (--data)");
        if (joint && cfg.exitWeights() != null && cfg.exitWeights().length != cfg.exits().size() + 1)
            throw new NnzipException("--exit-weights: " + cfg.exitWeights().length + " weights given for " + (cfg.exits().size() + 1)
                    + " outputs (each exit and the final output, in order)");
        if (cfg.exits().isEmpty()) throw new NnzipException("--exits needs at least one value or node name");
        Model m = backbone.copy();
        String input = m.graph().runtimeInputs().getFirst().name();
        Map<String, ValueType> types = ShapeInference.infer(m.graph(), m.opset(), 1, Map.of());
        ValueType out = types.get(m.graph().outputNames().getFirst());
        if (out == null || out.rank() != 2 || out.shape()[1] < 2) throw new NnzipException("the model's first output must be (N, classes) logits");
        int classes = out.shape()[1];
        List<ExitHeads.Head> heads = ExitHeads.attach(m, cfg.exits(), classes, cfg.headGrid());
        Map<String, Tensor> feats = Calibration.capture(m, input, trainX, heads.stream().map(ExitHeads.Head::features).toList(), 128);
        for (int i = 0; i < heads.size(); i++) {
            ExitHeads.Head h = heads.get(i);
            Tensor f = feats.get(h.features());
            SoftmaxRegression r = SoftmaxRegression.fit(f.floats(), trainY, f.dim(0), h.featureSize(), classes, cfg.headEpochs(), cfg.headLr(),
                    cfg.headL2(), cfg.seed() + i);
            m.graph().initializers().put(h.weight(), Tensor.of(r.weight, classes, h.featureSize()));
            m.graph().initializers().put(h.bias(), Tensor.of(r.bias, classes));
        }
        if (joint) {
            double[] w = cfg.exitWeights() != null ? cfg.exitWeights() : uniform(heads.size() + 1);
            Trainer.Options opt = new Trainer.Options().epochs(cfg.jointEpochs()).lr(cfg.jointLr()).schedule("cosine").seed(cfg.seed());
            JointExitTraining.train(m, w, jointData, norm, opt, listener);
        }
        ExitStages stages = new ExitStages(m);
        long baseline = ModelStats.of(backbone).macs;
        Result res;
        if (evalX == null) {
            res = new Result(m, baseline, stages.cumulativeMacs, null, null, null);
        } else {
            Map<String, Tensor> outs = Calibration.capture(m, input, evalX, m.graph().outputNames(), 128);
            List<float[]> logits = new ArrayList<>();
            for (String o : m.graph().outputNames()) logits.add(outs.get(o).floats());
            List<ExitCurve.Point> curve = ExitCurve.of(logits, evalY, classes, stages.cumulativeMacs, baseline, THRESHOLDS);
            ExitCurve.Point at = ExitCurve.of(logits, evalY, classes, stages.cumulativeMacs, baseline, new double[] {cfg.threshold()}).getFirst();
            res = new Result(m, baseline, stages.cumulativeMacs, ExitCurve.exitAccuracies(logits, evalY, classes), curve, at);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("exit_outputs", m.graph().outputNames());
        summary.put("exit_macs", stages.cumulativeMacs);
        summary.put("baseline_macs", baseline);
        Provenance.record(m, "dynamic", cfg.describe(), DynamicConfig.FIELDS, summary);
        return res;
    }

    private static double[] uniform(int n) {
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1.0);
        return w;
    }
}
