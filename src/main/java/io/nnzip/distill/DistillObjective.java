package io.nnzip.distill;

import io.nnzip.data.Batch;
import io.nnzip.ir.Tensor;
import io.nnzip.train.Losses;
import io.nnzip.train.MultiObjective;
import java.util.List;
import java.util.Map;

/**
 * Hinton distillation with optional FitNets hints, as the trainer's several-values objective:
 * L = α·T²·KL(p_teacher^T ‖ p_student^T) + (1 − α)·CE(student, labels) + β·Σ MSE(regressor_i, teacher_hint_i),
 * where p_student^T is taken of the student's logits re-scaled to the teacher's spread when {@code matchScale} is set
 * ({@link ScaleMatch}); with a discriminator weight γ > 0 also + γ·(−mean log D(softmax(z_student/T))), D a
 * {@link LogitDiscriminator} trained one step per batch to tell the teacher's tempered outputs from the student's.
 * Soft targets come from a {@link TeacherCache} when one is given and holds every image of the batch, else the
 * engine runs the teachers once on the batch (always when hints are used: feature maps are too large to cache). The
 * trainer hands over the student's logits and each hint regressor's prediction as separate values ({@link HintGraph}).
 * <pre>logits: (N,K), hint prediction i: (N,Ct,H,W) like the teacher's value, labels: (N)</pre>
 */
public final class DistillObjective implements MultiObjective {
    private final TeacherEnsemble teachers;
    private final DistillConfig cfg;
    private final String logits;
    private final List<String> predictions, teacherHints;
    private final TeacherCache cache;
    private long cachedBatches, teacherBatches, teacherCorrect, teacherSeen;
    private LogitDiscriminator disc;
    private double discLoss, advLoss;
    private long advSteps;

    /** {@code logits} names the student's output, {@code predictions} the hint regressors' outputs in the order of the config's hints. */
    public DistillObjective(TeacherEnsemble teachers, TeacherCache cache, DistillConfig cfg, String logits, List<String> predictions) {
        this.teachers = teachers;
        this.cache = cache;
        this.cfg = cfg;
        this.logits = logits;
        this.predictions = List.copyOf(predictions);
        this.teacherHints = cfg.hints().stream().map(DistillConfig.Hint::teacherValue).toList();
        if (this.predictions.size() != teacherHints.size()) throw new IllegalArgumentException("one prediction per hint");
    }

    /** The values the trainer must hand over: the logits first (the prediction it counts), then the hint predictions. */
    public List<String> values() {
        List<String> v = new java.util.ArrayList<>();
        v.add(logits);
        v.addAll(predictions);
        return v;
    }

    @Override
    public float lossAndGrad(Batch b, Map<String, Tensor> outputs, Map<String, float[]> grads) {
        int n = b.size();
        float[] s = outputs.get(logits).floats(), grad = grads.get(logits);
        int k = s.length / n;
        Map<String, Tensor> t = teacherOutputs(b.images());
        float[] gk = new float[n * k], gc = new float[n * k];
        float[] soft = t.get(TeacherEnsemble.SOFT_TARGETS).floats();
        teacherCorrect += io.nnzip.train.Evaluator.correctTop1(soft, b.labels());
        teacherSeen += n;
        float kl;
        if (cfg.matchScale()) {
            ScaleMatch sm = new ScaleMatch(s, soft, n, k);
            kl = Losses.klDivergence(sm.u, soft, n, k, cfg.temperature(), gk);
            gk = sm.backward(gk);
        } else {
            kl = Losses.klDivergence(s, soft, n, k, cfg.temperature(), gk);
        }
        float ce = Losses.softmaxCrossEntropy(s, b.labels(), n, k, 0f, gc);
        float a = cfg.alpha();
        float loss = a * kl + (1 - a) * ce;
        for (int i = 0; i < n * k; i++) grad[i] = a * gk[i] + (1 - a) * gc[i];
        if (cfg.discWeight() > 0) loss += adversarial(s, soft, n, k, grad);
        for (int h = 0; h < predictions.size(); h++) {
            float[] pred = outputs.get(predictions.get(h)).floats(), gh = grads.get(predictions.get(h));
            float mse = Losses.mse(pred, t.get(teacherHints.get(h)).floats(), gh);
            loss += cfg.hintWeight() * mse;
            for (int i = 0; i < gh.length; i++) gh[i] *= cfg.hintWeight();
        }
        return loss;
    }

    /** The student's adversarial term (gradient added into {@code grad}), then one discriminator step. */
    private float adversarial(float[] s, float[] soft, int n, int k, float[] grad) {
        float t = cfg.temperature(), w = cfg.discWeight();
        if (disc == null) disc = new LogitDiscriminator(k, 64, cfg.seed() ^ 0xD15CL);
        float[] ps = LogitDiscriminator.soft(s, n, k, t), pt = LogitDiscriminator.soft(soft, n, k, t);
        float[] dp = new float[n * k];
        float adv = disc.bce(ps, n, true, dp, null);
        float[] dz = LogitDiscriminator.softBackward(ps, dp, n, k, t);
        for (int i = 0; i < n * k; i++) grad[i] += w * dz[i];
        discLoss += disc.train(pt, ps, n);
        advLoss += adv;
        advSteps++;
        return w * adv;
    }

    /** Mean discriminator loss and mean student adversarial loss over the batches so far (null without a discriminator). */
    public double[] adversarialLosses() { return advSteps == 0 ? null : new double[] {discLoss / advSteps, advLoss / advSteps}; }

    private Map<String, Tensor> teacherOutputs(Tensor images) {
        if (cache != null && teacherHints.isEmpty()) {
            Tensor soft = cache.lookup(images);
            if (soft != null) {
                cachedBatches++;
                return Map.of(TeacherEnsemble.SOFT_TARGETS, soft);
            }
        }
        teacherBatches++;
        return teachers.run(images, cfg.temperature(), teacherHints);
    }

    /**
     * Top-1 accuracy of the soft targets against the labels of the training batches they were used on (NaN before
     * the first batch): a teacher fed the wrong input normalization, or targets out of step with the batch, shows here.
     */
    public double teacherTrainingAccuracy() { return teacherSeen == 0 ? Double.NaN : (double) teacherCorrect / teacherSeen; }

    /** Batches whose soft targets came from the cache / from running the teachers. */
    public long[] batchCounts() { return new long[] {cachedBatches, teacherBatches}; }
}
