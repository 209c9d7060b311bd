package io.nnzip.distill;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.pass.Provenance;
import io.nnzip.train.Evaluator;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a student from one or more teachers ({@link DistillObjective}) and, for the comparison the issue asks
 * for, the same student from the same initial weights with hard labels only and the same budget (epochs, batch
 * size, learning rate, seed).
 */
public final class Distiller {
    public record Result(Model student, float studentAccuracy, Float baselineAccuracy, float teacherAccuracy, List<Float> teacherAccuracies,
                         Normalization normalization, long studentParams, long teacherParams, double secondsPerEpoch, long cachedBatches,
                         long teacherBatches, Double teacherTrainingAccuracy, Map<String, Object> remote) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("student_accuracy", studentAccuracy);
            if (baselineAccuracy != null) {
                m.put("baseline_accuracy", baselineAccuracy);
                m.put("gain_points", 100 * (studentAccuracy - baselineAccuracy));
            }
            m.put("teacher_accuracy", teacherAccuracy);
            if (teacherAccuracies.size() > 1) m.put("teacher_accuracies", teacherAccuracies);
            m.put("normalization", normalization.describe());
            m.put("student_params", studentParams);
            m.put("teacher_params", teacherParams);
            m.put("params_ratio", (double) studentParams / teacherParams);
            m.put("seconds_per_epoch", secondsPerEpoch);
            m.put("batches_from_teacher_cache", cachedBatches);
            m.put("batches_run_through_teachers", teacherBatches);
            if (teacherTrainingAccuracy != null) m.put("teacher_accuracy_on_training_batches", teacherTrainingAccuracy);
            if (remote != null) {
                m.put("exchange_ratio", remote.get("exchange_ratio"));
                m.put("bytes_per_step", remote.get("bytes_per_step"));
                m.put("spark", remote);
            }
            return m;
        }
    }

    private Distiller() {}

    /** Teachers normalized as their metadata records, else as the student is. */
    public static Result run(Model student, List<Model> teachers, DistillConfig cfg, Dataset train, Dataset test, Normalization norm,
                             boolean baseline, TrainListener listener) {
        return run(student, teachers, teachers.stream().map(t -> TeacherEnsemble.recordedOr(t, norm)).toList(), cfg, train, test, norm, baseline,
                listener, null);
    }

    /** As {@link #run(Model, List, DistillConfig, Dataset, Dataset, Normalization, boolean, TrainListener)}, {@code setup} adjusting the student's training options (optimizer, hooks; null = none). */
    public static Result run(Model student, List<Model> teachers, DistillConfig cfg, Dataset train, Dataset test, Normalization norm,
                             boolean baseline, TrainListener listener, java.util.function.Consumer<Trainer.Options> setup) {
        return run(student, teachers, teachers.stream().map(t -> TeacherEnsemble.recordedOr(t, norm)).toList(), cfg, train, test, norm, baseline,
                listener, setup);
    }

    public static Result run(Model student, List<Model> teachers, List<Normalization> teacherNorms, DistillConfig cfg, Dataset train, Dataset test,
                             Normalization norm, boolean baseline, TrainListener listener) {
        return run(student, teachers, teacherNorms, cfg, train, test, norm, baseline, listener, null);
    }

    /**
     * Distills {@code student} (whose input is normalized by {@code norm}, recorded in the result) from {@code teachers},
     * teacher i run on its input normalized by {@code teacherNorms[i]} — for soft targets and for its reported accuracy.
     */
    public static Result run(Model student, List<Model> teachers, List<Normalization> teacherNorms, DistillConfig cfg, Dataset train, Dataset test,
                             Normalization norm, boolean baseline, TrainListener listener, java.util.function.Consumer<Trainer.Options> setup) {
        return run(student, teachers, teacherNorms, cfg, train, test, norm, baseline, listener, setup, null, s -> {});
    }

    /**
     * As above; with {@code remote} (not null) the student (and the baseline) train data-parallel there: every worker
     * builds the teachers and the objective from a {@link DistillSetup} and reads its shard of {@code train}'s data
     * itself; the measurements stay here. {@code info} (the run's exchange report) goes to the result's JSON.
     */
    public static Result run(Model student, List<Model> teachers, List<Normalization> teacherNorms, DistillConfig cfg, Dataset train, Dataset test,
                             Normalization norm, boolean baseline, TrainListener listener, java.util.function.Consumer<Trainer.Options> setup,
                             io.nnzip.pass.RemoteTraining remote, java.util.function.Consumer<String> log) {
        // the workers build their options from DistillSetup alone: a local adjustment would silently not reach them
        if (remote != null && setup != null) throw new IllegalArgumentException("training-option adjustments cannot travel to remote workers");
        Trainer.Options opt = options(cfg);
        if (setup != null) setup.accept(opt);
        Model trained;
        double secs;
        long[] counts;
        Double teacherTrain;
        Map<String, Object> remoteInfo = null;
        Float remoteBase = null;
        if (remote != null) {
            io.nnzip.pass.FineTuning.Request req = io.nnzip.pass.FineTuning.Request.of(cfg.epochs(), cfg.lr(), cfg.schedule(), cfg.seed());
            long t0 = System.nanoTime();
            io.nnzip.pass.RemoteTraining.Result r = remote.train(student, req.worker(DistillSetup.of(teachers, teacherNorms, norm, cfg, opt.threads)), norm, train.size(), log);
            secs = (System.nanoTime() - t0) / 1e9 / cfg.epochs();
            trained = r.model().copy();
            remoteInfo = r.info();
            counts = new long[] {0, 0};
            if (baseline) remoteBase = accuracy(remote.train(student, req, norm, train.size(), log).model(), test, norm);
            return finish(trained, teachers, teacherNorms, cfg, test, norm, remoteBase, secs, counts, null, remoteInfo);
        }
        try (Parallel par = new Parallel(opt.threads)) {
            TeacherEnsemble ens = new TeacherEnsemble(teachers, teacherNorms, norm, par);
            HintGraph hg = cfg.hints().isEmpty() ? null : HintGraph.build(student, teachers.getFirst(), cfg.hints(), cfg.seed());
            Model start = hg == null ? student : hg.training;
            // without hints the soft targets depend on the image only: one teacher pass serves every epoch
            TeacherCache cache = hg == null ? TeacherCache.build(ens, train, norm, cfg.temperature(), 256) : null;
            DistillObjective objective = new DistillObjective(ens, cache, cfg, student.graph().outputNames().getFirst(),
                    hg == null ? List.of() : hg.predictions);
            opt.objective(objective, objective.values());
            try (Trainer t = new Trainer(start, opt)) {
                Trainer.Report r = t.fit(train, null, norm, listener);
                secs = r.meanEpochSeconds();
                trained = hg == null ? t.model().copy() : hg.strip(t.model());
            }
            counts = objective.batchCounts();
            teacherTrain = objective.teacherTrainingAccuracy();
        }
        Float base = null;
        if (baseline) {
            Trainer.Options bo = options(cfg);
            if (setup != null) setup.accept(bo);
            try (Trainer t = new Trainer(student, bo)) {
                t.fit(train, null, norm, listener);
                base = accuracy(t.model(), test, norm);
            }
        }
        return finish(trained, teachers, teacherNorms, cfg, test, norm, base, secs, counts, teacherTrain, null);
    }

    private static Result finish(Model trained, List<Model> teachers, List<Normalization> teacherNorms, DistillConfig cfg, Dataset test, Normalization norm,
                                 Float base, double secs, long[] counts, Double teacherTrain, Map<String, Object> remoteInfo) {
        norm.writeTo(trained);
        float acc = accuracy(trained, test, norm);
        List<Float> taccs = new java.util.ArrayList<>();
        for (int i = 0; i < teachers.size(); i++) taccs.add(accuracy(teachers.get(i), test, teacherNorms.get(i)));
        Result res = new Result(trained, acc, base, taccs.getFirst(), taccs, norm, trained.graph().parameterCount(),
                teachers.getFirst().graph().parameterCount(), secs, counts[0], counts[1], teacherTrain, remoteInfo);
        Provenance.record(trained, "distill", cfg.describe(), DistillConfig.FIELDS, res.toJson());
        return res;
    }

    /** The budget both runs share: epochs, batches, learning rate and its schedule, seed. */
    static Trainer.Options options(DistillConfig cfg) {
        return new Trainer.Options().epochs(cfg.epochs()).batchSize(cfg.batchSize()).lr(cfg.lr()).schedule(cfg.schedule()).seed(cfg.seed());
    }

    public static float accuracy(Model m, Dataset test, Normalization norm) {
        try (Parallel par = new Parallel(Runtime.getRuntime().availableProcessors())) {
            return Evaluator.evaluate(Evaluator.engine(m, par), test, norm, 256).accuracy();
        }
    }
}
