package io.nnzip.distill;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.pass.Configs;
import io.nnzip.pass.Pass;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Provenance;
import io.nnzip.pass.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The distill pass: the model it runs on is the teacher; the student is a built-in architecture or an ONNX file
 * ({@link #runWith} takes a student model directly). Trained on the context's training split, measured on its
 * validation split, normalized as the teacher expects.
 */
public record DistillPass(
        @Setting(value = "the student: a built-in architecture (studentnet, mlp, lenet5, cnn, resnet8) or an ONNX file", dflt = "studentnet") String student,
        @Setting(value = "width multiplier of a built-in student", dflt = "1.0") float width,
        @Setting("softmax temperature T of the soft targets; the KL term is scaled by T²; unset: 1 for a transformer student, else 4 (StudentDefaults)") Float temperature,
        @Setting("weight of the soft-target KL term; 1 − alpha weighs hard-label cross-entropy; unset: 0.5 for a transformer student, else 0.9") Float alpha,
        @Setting("student logits re-scaled per sample to the teacher's spread before the tempered softmax; unset: off for a transformer student, else on") Boolean matchScale,
        @Setting("FitNets hints TEACHER_VALUE:STUDENT_VALUE, each through a learned 1×1 regressor") List<String> hints,
        @Setting(value = "weight of the hint mean-squared error", dflt = "0.5") float hintWeight,
        @Setting(value = "training epochs", dflt = "1") int epochs,
        @Setting(value = "mini-batch size", dflt = "128") int batchSize,
        @Setting(value = "Adam learning rate", dflt = "0.001") float lr,
        @Setting(value = "learning-rate schedule, the same for the baseline", dflt = "cosine") String schedule,
        @Setting(value = "seed of a built-in student's initial weights and of the shuffling", dflt = "1") long seed,
        @Setting(value = "also train the same student alone (same initial weights, epochs, seed) and report both", dflt = "false") boolean baseline,
        @Setting(value = "DAFL: distill on images a generator learns from the teacher alone; no training image is read", dflt = "false") boolean dataFree,
        @Setting(value = "generator training epochs of --data-free, each 32 batches of noise", dflt = "20") int generatorEpochs,
        @Setting(value = "images the trained generator synthesizes per student epoch (--data-free); every epoch sees fresh ones", dflt = "20000") int syntheticImages,
        @Setting(value = "weight of the BatchNormalization-statistics loss of the --data-free generator (0 = DAFL's losses only)", dflt = "0") float bnWeight,
        @Setting(value = "--data-free with generator and student trained together: each generator step is followed by student steps on its fresh images", dflt = "false") boolean joint,
        @Setting(value = "weight of the --joint generator's teacher–student disagreement term (mean |z_T − z_S|, maximized)", dflt = "0") float disagreementWeight,
        @Setting(value = "student steps per generator step of --joint, each on a fresh batch", dflt = "2") int studentSteps,
        @Setting(value = "--data-free generator conditioned on an assigned class, every class in equal numbers per batch; its one-hot loss targets the assigned class", dflt = "false") boolean classBalanced,
        @Setting(value = "Adam learning rate of the --data-free generator (0 = the student's lr)", dflt = "0") float generatorLr,
        @Setting(value = "adversarial distillation: a discriminator tells teacher from student soft outputs, the student learns to fool it", dflt = "false") boolean adversarial,
        @Setting(value = "weight of the student's adversarial loss (--adversarial)", dflt = "0.1") float discWeight)
        implements Pass {

    public DistillPass {
        if (student == null || student.isBlank()) student = "studentnet";
        hints = hints == null ? List.of() : List.copyOf(hints);
        if (epochs < 1) throw new NnzipException("distill epochs must be ≥ 1");
        if (generatorEpochs < 1) generatorEpochs = 20;
        if (syntheticImages < 1) syntheticImages = 20000;
        for (String h : hints) DistillConfig.Hint.parse(h);
        if (bnWeight < 0) throw new NnzipException("distill bn_weight must be ≥ 0, got " + bnWeight);
        if (disagreementWeight < 0) throw new NnzipException("distill disagreement_weight must be ≥ 0, got " + disagreementWeight);
        if (studentSteps < 1) studentSteps = 2;
        if (generatorLr < 0) throw new NnzipException("distill generator_lr must be ≥ 0, got " + generatorLr);
        if (classBalanced && !dataFree) throw new NnzipException("distill class_balanced conditions the --data-free generator: add data_free");
        if (joint && !dataFree) throw new NnzipException("distill joint trains the --data-free generator and the student together: add data_free");
        if (discWeight < 0) throw new NnzipException("distill disc_weight must be ≥ 0, got " + discWeight);
    }

    /** A config from option values by snake_case key (a recipe step, a Java caller); defaults for the rest. */
    public static DistillPass of(Map<String, ?> values) { return Configs.of(DistillPass.class, values); }

    @Override
    public String name() { return "distill"; }

    /** This config with the soft-target settings left unset filled in for {@code student} ({@link StudentDefaults}). */
    public DistillPass forStudent(Model student) {
        if (temperature != null && alpha != null && matchScale != null) return this;
        StudentDefaults d = StudentDefaults.of(student);
        Map<String, Object> m = Configs.toMap(this);
        m.put("temperature", d.temperature(temperature));
        m.put("alpha", d.alpha(alpha));
        m.put("match_scale", d.matchScale(matchScale));
        return of(m);
    }

    /** The training config; the soft-target settings must be resolved first ({@link #forStudent}). */
    public DistillConfig config() {
        if (temperature == null || alpha == null || matchScale == null) throw new IllegalStateException("distill: soft-target settings not resolved for a student");
        return new DistillConfig(temperature, alpha, hints.stream().map(DistillConfig.Hint::parse).toList(), hintWeight, epochs, batchSize, lr, seed,
                schedule, matchScale, adversarial ? discWeight : 0f);
    }

    /** Distills the student named by {@link #student} from {@code teacher}. */
    @Override
    public PassResult run(Model teacher, PassContext ctx) {
        int classes = dataFree ? ctx.data().requireVal("distill").classes() : ctx.data().requireTrain("distill").classes();
        Model s = Files.exists(Path.of(student)) ? OnnxReader.read(Path.of(student)) : Models.create(student, width, classes, seed);
        return runWith(List.of(teacher), s, ctx);
    }

    /**
     * Distills {@code student} from {@code teachers} (an ensemble's soft targets are averaged; hints use the first). The
     * data contract reaches every model: each teacher is queried and measured on input normalized as the context says
     * for it (the explicit normalization, else its recorded one); the student (and the baseline) take the explicit one,
     * else the student's recorded one, else the first teacher's, and the written student records it.
     */
    public PassResult runWith(List<Model> teachers, Model student, PassContext ctx) {
        DistillPass resolved = forStudent(student);
        if (resolved != this) return resolved.runWith(teachers, student, ctx); // options and provenance record what ran
        Dataset val = ctx.data().requireVal("distill");
        List<Model> ts = teachers.stream().map(ctx::prepare).toList();
        List<Normalization> tn = ts.stream().map(ctx::normalization).toList();
        Normalization sn = ctx.data().explicitNormalization();
        if (sn == null) sn = Normalization.fromMetadata(student);
        if (sn == null) sn = tn.getFirst();
        Map<String, Object> dafl = new LinkedHashMap<>();
        if (joint) return runJoint(ts.getFirst(), tn.getFirst(), student, sn, val, ctx);
        Dataset train = dataFree ? synthesize(ts.getFirst(), tn.getFirst(), ctx, dafl) : ctx.data().requireTrain("distill");
        ctx.note("distilling " + this.student + " from " + ts.size() + " teacher(s) on " + train.name() + ", input normalization " + sn);
        // data-free: the pool holds every epoch's fresh images, passed over once (same steps and schedule)
        DistillConfig cfg = dataFree ? config().withEpochs(1) : config();
        if (ctx.remote() != null && dataFree) throw new NnzipException("--spark distillation does not support --data-free yet (the synthetic images live in this process)");
        Distiller.Result r = Distiller.run(student, ts, tn, cfg, train, val, sn, baseline, ctx.progress(), null, ctx.remote(), ctx.log());
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("options", Configs.toMap(this));
        res.putAll(r.toJson());
        if (dataFree) res.put("data_free", dafl);
        Map<String, Object> prov = Provenance.record(r.student(), name(), this, Map.of("data", ctx.data().describe()), r.toJson());
        return new PassResult(r.student(), res, prov);
    }

    /**
     * {@code --data-free --joint}: the generator's warm-up ({@link #generatorEpochs} × 32 steps of DAFL's losses), then
     * {@link DataFreeJoint}'s rounds until the student has seen {@link #syntheticImages} × {@link #epochs} images.
     */
    private PassResult runJoint(Model teacher, Normalization tnorm, Model student, Normalization sn, Dataset val, PassContext ctx) {
        long t0 = System.nanoTime();
        DataFree.Chain chain = DataFree.chain(teacher, seed);
        DataFree.Weights w = weights(val.classes());
        if (bnWeight > 0 && chain.bnStats().isEmpty())
            throw new NnzipException("--bn-weight: the teacher has no BatchNormalization with running statistics to match");
        ctx.note("warming up the generator: " + generatorEpochs + " epochs × 32 batches of " + batchSize + " noise vectors");
        Model g = DataFree.trainGenerator(chain, w, generatorEpochs, 32, batchSize, gLr(), seed, ctx.progress());
        double warm = (System.nanoTime() - t0) / 1e9;
        int rounds = (int) Math.max(1, ((long) syntheticImages * epochs + (long) batchSize * studentSteps - 1) / ((long) batchSize * studentSteps));
        ctx.note("generator and student together: " + rounds + " rounds of 1 generator step and " + studentSteps + " student steps");
        DataFreeJoint.Result jr = DataFreeJoint.run(chain, g, student, tnorm, sn, w, disagreementWeight, config(), rounds, studentSteps, gLr(), ctx.threads(),
                ctx.progress());
        Model trained = jr.student();
        sn.writeTo(trained);
        float acc = Distiller.accuracy(trained, val, sn), tacc = Distiller.accuracy(teacher, val, tnorm);
        Distiller.Result r = new Distiller.Result(trained, acc, null, tacc, List.of(tacc), sn, trained.graph().parameterCount(), teacher.graph().parameterCount(),
                (System.nanoTime() - t0) / 1e9 / epochs, 0, 0, null, null);
        Map<String, Object> dafl = new LinkedHashMap<>();
        dafl.put("generator_epochs", generatorEpochs);
        dafl.put("warmup_seconds", warm);
        dafl.put("bn_weight", bnWeight);
        dafl.put("bn_layers_matched", bnWeight > 0 ? chain.bnStats().size() : 0);
        dafl.put("class_balanced", classBalanced);
        dafl.put("generator_lr", gLr());
        dafl.putAll(jr.report());
        dafl.put("training_images_read", 0);
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("options", Configs.toMap(this));
        res.putAll(r.toJson());
        res.put("data_free", dafl);
        io.nnzip.pass.Provenance.record(trained, "distill", config().describe(), DistillConfig.FIELDS, r.toJson());
        Map<String, Object> prov = Provenance.record(trained, name(), this, Map.of("data", ctx.data().describe()), r.toJson());
        return new PassResult(trained, res, prov);
    }

    /** The generator's loss weights: DAFL's, the statistics weight, and the class conditioning when asked for. */
    private DataFree.Weights weights(int classes) {
        return DataFree.Weights.PAPER.withBnStats(bnWeight).withClasses(classBalanced ? classes : 0);
    }

    private float gLr() { return generatorLr > 0 ? generatorLr : lr; }

    /** DAFL: a generator trained against the first teacher, then its images (labelled by the teacher's arg-max). */
    private Dataset synthesize(Model teacher, Normalization teacherNorm, PassContext ctx, Map<String, Object> report) {
        long t0 = System.nanoTime();
        ctx.note("training a DAFL generator against the teacher: " + generatorEpochs + " epochs × 32 batches of " + batchSize + " noise vectors");
        DataFree.Chain chain = DataFree.chain(teacher, seed);
        DataFree.Weights w = weights(ctx.data().requireVal("distill").classes());
        if (bnWeight > 0 && chain.bnStats().isEmpty())
            throw new NnzipException("--bn-weight: the teacher has no BatchNormalization with running statistics to match");
        Model g = DataFree.trainGenerator(chain, w, generatorEpochs, 32, batchSize, gLr(), seed, ctx.progress());
        long total = (long) syntheticImages * epochs;
        if (total > Integer.MAX_VALUE / 4) throw new NnzipException("--synthetic-images × --epochs is too many images: " + total);
        Dataset d = DataFree.synthesize(chain.withModel(g), (int) total, 256, teacherNorm, seed, ctx.threads(), w.classes());
        int[] hist = new int[d.classes()];
        for (int y : d.labels()) hist[y]++;
        report.put("generator_epochs", generatorEpochs);
        report.put("synthetic_images", d.size());
        report.put("bn_weight", bnWeight);
        report.put("bn_layers_matched", bnWeight > 0 ? chain.bnStats().size() : 0);
        report.put("synthetic_class_counts", hist);
        report.put("generator_seconds", (System.nanoTime() - t0) / 1e9);
        report.put("training_images_read", 0);
        return d;
    }
}
