package io.nnzip.cli;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.distill.DistillPass;
import io.nnzip.distill.Distiller;
import io.nnzip.ir.Model;
import io.nnzip.models.Models;
import io.nnzip.models.Reinit;
import io.nnzip.engine.ModelValidator;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.train.Progress;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "distill", mixinStandardHelpOptions = true,
        description = "Trains a student from one or more teachers: Hinton distillation (softened KL + hard-label cross-entropy), "
                + "averaged soft targets of an ensemble, FitNets hints; optionally also the same student alone for comparison.")
public final class DistillCommand extends BaseCommand {
    @Option(names = "--teacher", required = true, description = "Teacher model (repeat for an ensemble).")
    List<Path> teachers;

    @Option(names = "--student", required = true, description = "A built-in architecture (" + "studentnet, mlp, lenet5, cnn, resnet8) or an ONNX model.")
    String student;

    @Option(names = "--width", defaultValue = "1.0", description = "Width multiplier of a built-in student (default ${DEFAULT-VALUE}).")
    float width;

    @Option(names = "--reinit", arity = "0..1", fallbackValue = "", paramLabel = "REGEX",
            description = "With an ONNX --student: re-draw its parameters whose name matches REGEX (alone: all) with the initializers of the built-in students, seeded by --seed, to distill that architecture from scratch.")
    String reinit;

    @Mixin
    DataOptions data;

    @Option(names = "--epochs", defaultValue = "1", description = "Training epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--temperature", description = "Softmax temperature of the soft targets (default: 1 for a transformer student, else 4).")
    Float temperature;

    @Option(names = "--alpha", description = "Weight of the soft-target term (default: 0.5 for a transformer student, else 0.9).")
    Float alpha;

    @Option(names = "--match-scale", negatable = true,
            description = "Compare the shape of the student's logits with the teacher's, not their magnitude (default: on, off for a transformer student; --no-match-scale for plain Hinton).")
    Boolean matchScale;

    @Option(names = "--hint", description = "FitNets hint TEACHER_VALUE:STUDENT_VALUE (repeatable): (N,C,H,W) maps with equal H,W, or transformer hidden states (B,T,C) with equal T.")
    List<String> hints = new ArrayList<>();

    @Option(names = "--hint-weight", defaultValue = "0.5", description = "Weight of the hint loss (default ${DEFAULT-VALUE}).")
    float hintWeight;

    @Option(names = "--batch", defaultValue = "128", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "0.001", description = "Adam learning rate (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--schedule", defaultValue = "cosine", description = "Learning-rate schedule, the same for the baseline (default ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the student's initial weights and the shuffling (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--baseline", description = "Also train the same student alone (same initial weights, epochs, seed) and report both.")
    boolean baseline;


    @Option(names = "--data-free", description = "DAFL: train a generator against the teacher and distill on its images; no training image is read (--data gives the test split only).")
    boolean dataFree;

    @Option(names = "--generator-epochs", defaultValue = "20", description = "Generator epochs of --data-free, each 32 batches of noise (default ${DEFAULT-VALUE}).")
    int generatorEpochs;

    @Option(names = "--synthetic-images", defaultValue = "20000", description = "Images the --data-free generator synthesizes for the student (default ${DEFAULT-VALUE}).")
    int syntheticImages;

    @Option(names = "--bn-weight", defaultValue = "0", description = "--data-free: weight of the generator's BatchNormalization-statistics loss (batch mean and variance at each teacher BatchNormalization matched to its running ones; default ${DEFAULT-VALUE} = DAFL's losses only).")
    float bnWeight;

    @Option(names = "--joint", description = "--data-free: train generator and student together (after --generator-epochs of warm-up): each generator step, which also maximizes the teacher–student disagreement, is followed by --student-steps student steps on fresh images.")
    boolean joint;

    @Option(names = "--disagreement-weight", defaultValue = "0", description = "--joint: weight of the generator's teacher–student disagreement term, mean |z_T − z_S| of the logits, maximized (default ${DEFAULT-VALUE}; 0 = DAFL's joint loop).")
    float disagreementWeight;

    @Option(names = "--student-steps", defaultValue = "2", description = "--joint: student steps per generator step, each on a fresh batch (default ${DEFAULT-VALUE}).")
    int studentSteps;

    @Option(names = "--class-balanced", description = "--data-free: condition the generator on an assigned class (a one-hot code in its noise), every class in equal numbers per batch; its one-hot loss targets the assigned class instead of the teacher's arg-max.")
    boolean classBalanced;

    @Option(names = "--generator-lr", defaultValue = "0", description = "--data-free: Adam learning rate of the generator (default ${DEFAULT-VALUE} = the student's --lr).")
    float generatorLr;

    @Option(names = "--adversarial", description = "Adversarial distillation: a discriminator learns to tell the teacher's tempered outputs from the student's; the student also learns to fool it.")
    boolean adversarial;

    @Option(names = "--disc-weight", defaultValue = "0.1", description = "Weight of the student's adversarial loss with --adversarial (default ${DEFAULT-VALUE}).")
    float discWeight;

    @Mixin
    SparkTraining spark;

    @Option(names = {"-o", "--output"}, required = true, description = "Where to write the distilled student.")
    Path output;

    @Override
    protected Map<String, Object> execute() {
        if (!dataFree && bnWeight > 0) throw new io.nnzip.ir.NnzipException("--bn-weight weighs a loss of the --data-free generator: add --data-free");
        if (joint && !dataFree) throw new io.nnzip.ir.NnzipException("--joint trains the --data-free generator and the student together: add --data-free");
        if (classBalanced && !dataFree) throw new io.nnzip.ir.NnzipException("--class-balanced conditions the --data-free generator: add --data-free");
        List<Model> ts = new ArrayList<>();
        for (Path p : teachers) ts.add(ModelValidator.read(p));
        io.nnzip.pass.PassContext ctx = data.context(seed).progressOn(!data.noProgress && !json).log(this::note)
                .remote(spark.remote(data.data, data.limit, batch)).build();
        Dataset labelled = dataFree ? ctx.data().requireVal("distill") : ctx.data().requireTrain("distill");
        boolean onnxStudent = Files.exists(Path.of(student));
        if (reinit != null && !onnxStudent)
            throw new io.nnzip.ir.NnzipException("--reinit re-draws the weights of an ONNX --student; the built-in '" + student + "' already starts from its initializers");
        Model s = onnxStudent ? ModelValidator.read(Path.of(student)) : Models.create(student, width, labelled.classes(), seed);
        List<String> redrawn = reinit == null ? List.of() : Reinit.option(s, reinit, seed, student);
        // unset soft-target settings are chosen by the student's kind inside the pass (StudentDefaults), as in a recipe
        DistillPass pass = new DistillPass(student, width, temperature, alpha, matchScale, hints, hintWeight, epochs, batch, lr,
                schedule, seed, baseline, dataFree, generatorEpochs, syntheticImages, bnWeight, joint, disagreementWeight, studentSteps, classBalanced,
                generatorLr, adversarial, discWeight);
        io.nnzip.pass.PassResult r = pass.runWith(ts, s, ctx);
        // the distill record describes the pass; where the student's starting weights came from is the command's step
        if (reinit != null)
            io.nnzip.pass.Provenance.record(r.model(), "reinit", Map.of("reinit", Reinit.describe(reinit), "seed", seed, "parameters", redrawn.size()),
                    Map.of("reinit", "parameters of the ONNX student re-drawn with the built-in initializers before distillation (regular expression, or all)"), null);
        AtomicFiles.write(output, OnnxWriter.toBytes(r.model()));
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("student", student);
        res.put("teachers", teachers.stream().map(Path::toString).toList());
        if (reinit != null) res.put("reinitialized", redrawn);
        res.putAll(r.report());
        res.put("written", output.toString());
        return res;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("student %s: %d params (%.1f%% of the teacher's %d)%n", r.get("student"), r.get("student_params"),
                100 * (Double) r.get("params_ratio"), r.get("teacher_params"));
        out.printf("accuracy: distilled %.2f%%, teacher %.2f%%%n", 100 * (Float) r.get("student_accuracy"), 100 * (Float) r.get("teacher_accuracy"));
        if (r.get("teacher_accuracy_on_training_batches") instanceof Double d)
            out.printf("teacher on the training batches it labelled: %.2f%%%n", 100 * d);
        if (r.containsKey("baseline_accuracy"))
            out.printf("same student alone: %.2f%% (distillation gain %+.2f points)%n", 100 * (Float) r.get("baseline_accuracy"), (Float) r.get("gain_points"));
        out.println("wrote " + r.get("written"));
    }
}
