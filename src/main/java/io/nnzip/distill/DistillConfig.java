package io.nnzip.distill;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Options of knowledge distillation, each described; recorded in the student's metadata. */
public record DistillConfig(float temperature, float alpha, List<Hint> hints, float hintWeight, int epochs, int batchSize, float lr,
                           long seed, String schedule, boolean matchScale, float discWeight) implements java.io.Serializable {
    public DistillConfig(float temperature, float alpha, List<Hint> hints, float hintWeight, int epochs, int batchSize, float lr, long seed) {
        this(temperature, alpha, hints, hintWeight, epochs, batchSize, lr, seed, "constant", false, 0f);
    }

    public DistillConfig(float temperature, float alpha, List<Hint> hints, float hintWeight, int epochs, int batchSize, float lr, long seed,
                         String schedule, boolean matchScale) {
        this(temperature, alpha, hints, hintWeight, epochs, batchSize, lr, seed, schedule, matchScale, 0f);
    }

    public DistillConfig withEpochs(int e) {
        return new DistillConfig(temperature, alpha, hints, hintWeight, e, batchSize, lr, seed, schedule, matchScale, discWeight);
    }

    /** A FitNets hint: the student's value is regressed (1×1 conv) onto the teacher's value. */
    public record Hint(String teacherValue, String studentValue) implements java.io.Serializable {
        public static Hint parse(String s) {
            int i = s.lastIndexOf(':');
            if (i <= 0 || i == s.length() - 1) throw new io.nnzip.ir.NnzipException("--hint expects TEACHER_VALUE:STUDENT_VALUE, got '" + s + "'");
            return new Hint(s.substring(0, i), s.substring(i + 1));
        }

        @Override
        public String toString() { return teacherValue + ":" + studentValue; }
    }

    public static final Map<String, String> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("temperature", "softmax temperature T of the soft targets; the KL term is scaled by T²");
        FIELDS.put("alpha", "weight of the soft-target KL term; 1 − alpha weighs hard-label cross-entropy");
        FIELDS.put("match_scale", "student logits re-scaled per sample to the teacher's spread before the tempered softmax (shape, not magnitude)");
        FIELDS.put("hints", "FitNets hints TEACHER_VALUE:STUDENT_VALUE (first teacher), each through a learned 1×1 regressor");
        FIELDS.put("hint_weight", "weight of the hint mean-squared error");
        FIELDS.put("disc_weight", "weight of the adversarial loss: a discriminator on tempered softmax outputs tells teacher from student (0 = off)");
        FIELDS.put("epochs", "training epochs");
        FIELDS.put("batch_size", "mini-batch size");
        FIELDS.put("lr", "Adam learning rate");
        FIELDS.put("schedule", "learning-rate schedule (constant, cosine, ...), the same for the distilled student and the baseline");
        FIELDS.put("seed", "seed of the shuffling (the student's initial weights come with the student)");
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("temperature", temperature);
        m.put("alpha", alpha);
        m.put("match_scale", matchScale);
        m.put("hints", hints.stream().map(Hint::toString).toList());
        m.put("hint_weight", hintWeight);
        m.put("disc_weight", discWeight);
        m.put("epochs", epochs);
        m.put("batch_size", batchSize);
        m.put("lr", lr);
        m.put("schedule", schedule);
        m.put("seed", seed);
        return m;
    }
}
