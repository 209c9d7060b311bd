package io.nnzip.distill;

import io.nnzip.data.Normalization;
import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One or more teachers run by the engine on each training batch. Soft targets of an ensemble are the average of
 * the teachers' tempered softmax outputs; they are returned as logits T·log(p̄) so that softmax(·/T) gives back
 * exactly p̄. Each teacher sees the batch in its own input normalization (the data contract: the one the user gave,
 * else the teacher's recorded one), reshaped to its input's rank.
 * <pre>images: (N,C,H,W) -> soft-target logits: (N,K)</pre>
 */
public final class TeacherEnsemble {
    private final List<Executor> executors = new ArrayList<>();
    private final List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
    private final List<Normalization> norms;
    private final List<Model> models;
    private final Normalization studentNorm;

    /** Each teacher normalized as its metadata records, else as the student's batches are. */
    public TeacherEnsemble(List<Model> teachers, Normalization studentNorm, Parallel par) {
        this(teachers, teachers.stream().map(t -> recordedOr(t, studentNorm)).toList(), studentNorm, par);
    }

    /** Teacher {@code i} takes its input normalized by {@code teacherNorms[i]}; the batches arrive normalized by {@code studentNorm}. */
    public TeacherEnsemble(List<Model> teachers, List<Normalization> teacherNorms, Normalization studentNorm, Parallel par) {
        if (teachers.isEmpty()) throw new NnzipException("distillation needs at least one --teacher");
        if (teacherNorms.size() != teachers.size()) throw new IllegalArgumentException("one normalization per teacher");
        this.studentNorm = studentNorm;
        this.norms = List.copyOf(teacherNorms);
        this.models = List.copyOf(teachers);
        for (Model t : teachers) {
            executors.add(new Executor(t.graph(), t.opset(), par));
            inputs.add(t.graph().runtimeInputs().getFirst().name());
            outputs.add(t.graph().outputNames().getFirst());
        }
    }

    static Normalization recordedOr(Model m, Normalization fallback) {
        Normalization r = Normalization.fromMetadata(m);
        return r != null ? r : fallback;
    }

    /** The normalization teacher {@code i} is run with. */
    public Normalization normalization(int i) { return norms.get(i); }

    public int size() { return executors.size(); }

    /** The batch re-normalized from the student's normalization to teacher {@code i}'s. */
    Tensor forTeacher(int i, Tensor images) {
        Normalization t = norms.get(i);
        if (t.equals(studentNorm)) return io.nnzip.data.ModelInputs.fitToInput(images, models.get(i));
        int[] s = images.shape();
        int c = s[1], hw = s[2] * s[3];
        float[] x = images.floats(), y = new float[x.length];
        for (int i0 = 0; i0 < x.length; i0++) {
            int ch = (i0 / hw) % c;
            float raw = x[i0] * studentNorm.std()[ch % studentNorm.std().length] + studentNorm.mean()[ch % studentNorm.mean().length];
            y[i0] = (raw - t.mean()[ch % t.mean().length]) / t.std()[ch % t.std().length];
        }
        return io.nnzip.data.ModelInputs.fitToInput(Tensor.of(y, s), models.get(i));
    }

    /** Runs every teacher; {@code keep} names values of the first teacher to return as well (hints). */
    public Map<String, Tensor> run(Tensor images, float temperature, List<String> keep) {
        int n = images.dim(0);
        double[] avg = null;
        int k = 0;
        Map<String, Tensor> firstOut = null;
        for (int t = 0; t < executors.size(); t++) {
            Map<String, Tensor> out = executors.get(t).run(Map.of(inputs.get(t), forTeacher(t, images)), t == 0 ? keep : List.of());
            if (t == 0) firstOut = out;
            float[] z = out.get(outputs.get(t)).toFloats();
            k = z.length / n;
            if (avg == null) avg = new double[z.length];
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < k; j++) max = Math.max(max, z[i * k + j] / temperature);
                for (int j = 0; j < k; j++) sum += Math.exp(z[i * k + j] / temperature - max);
                for (int j = 0; j < k; j++) avg[i * k + j] += Math.exp(z[i * k + j] / temperature - max) / sum / executors.size();
            }
        }
        float[] logits = new float[avg.length];
        for (int i = 0; i < avg.length; i++) logits[i] = (float) (temperature * Math.log(Math.max(avg[i], 1e-30)));
        Map<String, Tensor> res = new java.util.LinkedHashMap<>(firstOut);
        res.put(SOFT_TARGETS, Tensor.of(logits, n, k));
        return res;
    }

    public static final String SOFT_TARGETS = "__soft_targets";
}
