package io.nnzip.distill;

import io.nnzip.data.Batch;
import io.nnzip.ir.Tensor;
import io.nnzip.train.Losses;
import io.nnzip.train.Objective;
import java.util.List;
import java.util.Map;

/**
 * Hinton distillation with optional FitNets hints, as the trainer's objective:
 * L = α·T²·KL(p_teacher^T ‖ p_student^T) + (1 − α)·CE(student, labels) + β·Σ MSE(regressor_i, teacher_hint_i),
 * where p_student^T is taken of the student's logits re-scaled to the teacher's spread when {@code matchScale} is set
 * ({@link ScaleMatch}).
 * Soft targets come from a {@link TeacherCache} when one is given and holds every image of the batch, else the
 * engine runs the teachers once on the batch (always when hints are used: feature maps are too large to cache). The student's training output holds the logits in
 * its first K columns and the flattened hint predictions after them (see {@link HintGraph}).
 * <pre>output: (N, K + Σ hint sizes), labels: (N)</pre>
 */
public final class DistillObjective implements Objective {
    private final TeacherEnsemble teachers;
    private final DistillConfig cfg;
    private final int classes;
    private final int[] hintSizes;
    private final List<String> teacherHints;
    private final TeacherCache cache;
    private long cachedBatches, teacherBatches;

    public DistillObjective(TeacherEnsemble teachers, TeacherCache cache, DistillConfig cfg, int classes, int[] hintSizes) {
        this.teachers = teachers;
        this.cache = cache;
        this.cfg = cfg;
        this.classes = classes;
        this.hintSizes = hintSizes;
        this.teacherHints = cfg.hints().stream().map(DistillConfig.Hint::teacherValue).toList();
    }

    @Override
    public float lossAndGrad(Batch b, Tensor output, float[] grad) {
        int n = b.size(), width = output.size() / n, k = classes;
        float[] out = output.floats();
        Map<String, Tensor> t = teacherOutputs(b.images());
        float[] s = new float[n * k], gk = new float[n * k], gc = new float[n * k];
        for (int i = 0; i < n; i++) System.arraycopy(out, i * width, s, i * k, k);
        float[] soft = t.get(TeacherEnsemble.SOFT_TARGETS).floats();
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
        for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) grad[i * width + j] = a * gk[i * k + j] + (1 - a) * gc[i * k + j];
        int off = k;
        for (int h = 0; h < hintSizes.length; h++) {
            int size = hintSizes[h];
            float[] pred = new float[n * size], gh = new float[n * size];
            for (int i = 0; i < n; i++) System.arraycopy(out, i * width + off, pred, i * size, size);
            float mse = Losses.mse(pred, t.get(teacherHints.get(h)).floats(), gh);
            loss += cfg.hintWeight() * mse;
            for (int i = 0; i < n; i++) for (int j = 0; j < size; j++) grad[i * width + off + j] = cfg.hintWeight() * gh[i * size + j];
            off += size;
        }
        return loss;
    }

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

    /** Batches whose soft targets came from the cache / from running the teachers. */
    public long[] batchCounts() { return new long[] {cachedBatches, teacherBatches}; }
}
