package io.nnzip.distill;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.train.TrainListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Experiment driver (not a test): the same student trained alone and distilled under several (T, α) settings, for
 * several seeds, in one JVM, so the baseline is trained once per seed.
 * <pre>DistillSweepMain TEACHER STUDENT WIDTH TRAIN_LIMIT TEST_LIMIT EPOCHS SEEDS(1,2) CONFIGS(4:0.9,2:0.5,4:0.9:m = match scale) [SCHEDULE [LR]]</pre>
 */
public final class DistillSweepMain {
    static Normalization norm(String text, Normalization dflt) {
        if (text == null || text.isBlank()) return dflt;
        String[] p = text.split(",");
        return new Normalization(new float[] {Float.parseFloat(p[0])}, new float[] {Float.parseFloat(p[1])});
    }

    public static void main(String[] a) {
        Model teacher = OnnxReader.read(Path.of(a[0]));
        String studentName = a[1];
        float width = Float.parseFloat(a[2]);
        Dataset train = Datasets.load("fashion-mnist", "train").head(Integer.parseInt(a[3]));
        Dataset test = Datasets.load("fashion-mnist", "test").head(Integer.parseInt(a[4]));
        int epochs = Integer.parseInt(a[5]);
        // the teacher's own (TEACHER_NORM=MEAN,STD, else its recorded one); the student's: STUDENT_NORM, else the teacher's
        Normalization teacherNorm = norm(System.getenv("TEACHER_NORM"), Normalization.resolve(null, teacher));
        Normalization norm = norm(System.getenv("STUDENT_NORM"), teacherNorm);
        String schedule = a.length > 8 ? a[8] : "constant";
        float lr = a.length > 9 ? Float.parseFloat(a[9]) : 1e-3f;
        TrainListener quiet = new io.nnzip.train.Progress(System.err, System.getenv("SWEEP_PROGRESS") != null);
        for (String seedText : a[6].split(",")) {
            long seed = Long.parseLong(seedText);
            Model student = Models.create(studentName, width, 10, seed);
            List<String> rows = new ArrayList<>();
            boolean first = true;
            for (String c : a[7].split(",")) {
                String[] ta = c.split(":");
                DistillConfig cfg = new DistillConfig(Float.parseFloat(ta[0]), Float.parseFloat(ta[1]), List.of(), 0f, epochs, 128, lr, seed, schedule,
                        ta.length > 2 && ta[2].equals("m"));
                long t0 = System.nanoTime();
                Distiller.Result r = Distiller.run(student, List.of(teacher), List.of(teacherNorm), cfg, train, test, norm, first, quiet);
                if (first) System.out.printf("seed %d: alone %.2f%%, teacher %.2f%%, student params %d (%.1f%% of %d)%n", seed,
                        100 * r.baselineAccuracy(), 100 * r.teacherAccuracy(), r.studentParams(), 100.0 * r.studentParams() / r.teacherParams(), r.teacherParams());
                first = false;
                System.out.printf("seed %d T=%s alpha=%s%s: distilled %.2f%% (%.0f s, cache %d / teacher %d batches, teacher on them %.2f%%)%n", seed, ta[0], ta[1],
                        ta.length > 2 ? ":" + ta[2] : "", 100 * r.studentAccuracy(), (System.nanoTime() - t0) / 1e9, r.cachedBatches(), r.teacherBatches(),
                        100 * r.teacherTrainingAccuracy());
            }
        }
    }
}
