package io.nnzip.distill;

import io.nnzip.data.Normalization;
import io.nnzip.dist.WorkerSetup;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.train.Param;
import io.nnzip.train.Trainer;
import java.util.ArrayList;
import java.util.List;

/**
 * Hinton distillation as plain values that travel to data-parallel workers: the teachers as ONNX bytes with the
 * normalization each takes, the student's normalization and the distillation options. Every copy (each worker, the
 * driver) builds the same teacher ensemble and {@link DistillObjective} around its Trainer; the copies exchange the
 * student's parameters only, since the teachers are fixed. Soft targets are computed per batch (no cache: a worker
 * sees only its shard). Hints and the adversarial discriminator stay single-process.
 */
public record DistillSetup(List<byte[]> teachers, List<float[]> teacherMeans, List<float[]> teacherStds, float[] studentMean, float[] studentStd,
                           DistillConfig config, int threads) implements WorkerSetup {
    public DistillSetup {
        if (!config.hints().isEmpty() || config.discWeight() > 0)
            throw new io.nnzip.ir.NnzipException("--spark distillation does not support --hint or --adversarial yet (they train extra state beside the student)");
    }

    /** The setup for {@code teachers}, teacher i normalized by {@code teacherNorms[i]}, the student by {@code student}. */
    public static DistillSetup of(List<Model> teachers, List<Normalization> teacherNorms, Normalization student, DistillConfig cfg, int threads) {
        List<byte[]> bytes = new ArrayList<>();
        for (Model t : teachers) bytes.add(OnnxWriter.toBytes(t));
        return new DistillSetup(bytes, teacherNorms.stream().map(Normalization::mean).toList(), teacherNorms.stream().map(Normalization::std).toList(),
                student.mean(), student.std(), cfg, threads);
    }

    @Override
    public Session start(Model m, Trainer.Options o) {
        List<Model> ts = new ArrayList<>();
        List<Normalization> tn = new ArrayList<>();
        for (int i = 0; i < teachers.size(); i++) {
            ts.add(OnnxReader.read(teachers.get(i), null));
            tn.add(new Normalization(teacherMeans.get(i), teacherStds.get(i)));
        }
        Parallel par = new Parallel(Math.max(1, threads));
        TeacherEnsemble ens = new TeacherEnsemble(ts, tn, new Normalization(studentMean, studentStd), par);
        DistillObjective objective = new DistillObjective(ens, null, config, m.graph().outputNames().getFirst(), List.of());
        o.objective(objective, objective.values());
        return new Session() {
            @Override
            public List<Param> exchanged(Trainer t) { return t.params(); }

            @Override
            public void synced(Trainer t) {}

            @Override
            public void close() { par.close(); }
        };
    }
}
