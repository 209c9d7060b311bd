package io.nnzip.distill;

import io.nnzip.data.Batch;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.train.LrSchedule;
import io.nnzip.train.MultiObjective;
import io.nnzip.train.Param;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Data-free distillation with generator and student trained together (DAFL's own loop, Chen et al. 2019, with the
 * adversarial term of data-free adversarial distillation, Fang et al. 2019, and DeepInversion's statistics loss, Yin et
 * al. 2020). Each round:
 * <ol>
 * <li>one generator step on G → {teacher, student}: DAFL's losses and the statistics loss, minus
 *     {@code disagreement}·mean|z_T − z_S| — the generator looks for images on which the student still disagrees with
 *     the teacher (the student's weights in this graph are the student trainer's, copied before the step, not stepped);</li>
 * <li>{@code studentSteps} student steps, each on a fresh batch of the updated generator's images with the teacher's
 *     logits on them as soft targets: α·T²·KL(softmax(z_T/T) ‖ softmax(z_S/T)) + (1 − α)·CE(z_S, argmax z_T).</li>
 * </ol>
 * The student therefore never sees the same image twice and the images follow what it has not learned yet, where a
 * generator trained first and then frozen keeps drawing the few modes it converged to.
 */
public final class DataFreeJoint {
    /** Prefix of the student's values and initializers inside the joint graph. */
    static final String S = "dfs/";

    private DataFreeJoint() {}

    /** What the loop did: the trained student and a report. */
    public record Result(Model student, Map<String, Object> report) {}

    /**
     * The chain G → teacher with the student also reading the generated image (converted from the teacher's input
     * normalization {@code tn} to the student's {@code sn}); the student's names are prefixed with {@link #S}.
     * Returns the joint model and the name of the student's logits in it.
     */
    static Model joint(DataFree.Chain chain, Model generatorTrained, Model student, Normalization tn, Normalization sn) {
        Model m = generatorTrained.copy();
        Graph g = m.graph(), sg = student.graph();
        String sIn = sg.runtimeInputs().getFirst().name();
        String image = chain.image();
        int c = tn.mean().length == 1 && sn.mean().length == 1 ? 1 : Math.max(tn.mean().length, sn.mean().length);
        float[] a = new float[c], b = new float[c];
        boolean same = true;
        for (int j = 0; j < c; j++) {
            float mt = tn.mean()[tn.mean().length == 1 ? 0 : j], st = tn.std()[tn.std().length == 1 ? 0 : j];
            float ms = sn.mean()[sn.mean().length == 1 ? 0 : j], ss = sn.std()[sn.std().length == 1 ? 0 : j];
            a[j] = st / ss;
            b[j] = (mt - ms) / ss;
            same &= Math.abs(a[j] - 1) < 1e-7 && Math.abs(b[j]) < 1e-7;
        }
        String studentImage = image;
        if (!same) {
            int[] shape = c == 1 ? new int[] {1} : new int[] {1, c, 1, 1};
            g.initializers().put(S + "norm.a", Tensor.of(a, shape));
            g.initializers().put(S + "norm.b", Tensor.of(b, shape));
            g.nodes().add(new Node(S + "norm_mul", "Mul", List.of(image, S + "norm.a"), List.of(S + "norm.scaled")));
            g.nodes().add(new Node(S + "norm_add", "Add", List.of(S + "norm.scaled", S + "norm.b"), List.of(S + "input")));
            studentImage = S + "input";
        }
        final String in = studentImage;
        java.util.function.UnaryOperator<String> rename = v -> v.isEmpty() ? v : v.equals(sIn) ? in : S + v;
        for (Map.Entry<String, Tensor> e : sg.initializers().entrySet()) g.initializers().put(S + e.getKey(), e.getValue().copy());
        for (Node n : sg.nodes()) {
            Node r = new Node(S + n.name(), n.opType(), n.domain(), n.inputs().stream().map(rename).toList(), n.outputs().stream().map(rename).toList());
            n.attributes().forEach((k, v) -> r.attributes().put(k, v.copy()));
            g.nodes().add(r);
        }
        for (ValueInfo v : sg.outputs()) g.outputs().add(new ValueInfo(S + v.name(), v.dtype(), v.dims()));
        return m;
    }

    /**
     * Runs {@code rounds} rounds (one generator step and {@code studentSteps} student steps each, batches of
     * {@code cfg.batchSize()}); the generator starts from {@code generatorTrained} (the chain after its warm-up).
     */
    public static Result run(DataFree.Chain chain, Model generatorTrained, Model student, Normalization tn, Normalization sn, DataFree.Weights w,
                             float disagreement, DistillConfig cfg, int rounds, int studentSteps, float generatorLr, int threads, TrainListener listener) {
        Model joint = joint(chain, generatorTrained, student, tn, sn);
        String sLogits = S + student.graph().outputNames().getFirst();
        String sImage = joint.graph().nodes().stream().anyMatch(n -> n.name().equals(S + "norm_add")) ? S + "input" : chain.image();
        int bs = cfg.batchSize();
        Trainer.Options so = Distiller.options(cfg).threads(threads);
        float[][] soft = new float[1][];
        so.objective(studentObjective(soft, cfg.temperature(), cfg.alpha()));
        long t0 = System.nanoTime();
        int[] hist = null;
        double gLoss = 0, dis = 0;
        try (Trainer st = new Trainer(student, so)) {
            List<String> studentNames = st.params().stream().map(p -> S + p.name()).toList();
            List<String> values = new ArrayList<>(chain.values(w));
            values.add(sLogits);
            Trainer.Options go = new Trainer.Options().batchSize(bs).lr(generatorLr).seed(cfg.seed()).threads(threads).trainable("^gen\\.", null)
                    .alsoTrain(studentNames).derived(studentNames).objective(generatorObjective(chain, w, sLogits, disagreement), values);
            try (Trainer gt = new Trainer(joint, go)) {
                Map<String, Param> gParams = new HashMap<>();
                for (Param p : gt.params()) gParams.put(p.name(), p);
                int total = rounds * studentSteps;
                LrSchedule sched = LrSchedule.of(cfg.schedule(), cfg.lr(), total, 0, Math.max(1, total / 3), 0.1f);
                SplittableRandom rnd = new SplittableRandom(cfg.seed() ^ 0x9E3779B97F4A7C15L);
                int done = 0;
                for (int r = 0; r < rounds; r++) {
                    for (Param p : st.params()) System.arraycopy(p.value(), 0, gParams.get(S + p.name()).value(), 0, p.size());
                    int[] gy = new int[bs];
                    float[] gr = gt.step(new Batch(noise(rnd, bs, w.classes(), gy), gy), generatorLr);
                    gLoss = gr[0];
                    for (int k = 0; k < studentSteps; k++) {
                        gt.tape().forward(Map.of(DataFree.NOISE, noise(rnd, bs, w.classes(), new int[bs])), true);
                        Tensor img = gt.tape().value(sImage).copy();
                        float[] zt = gt.tape().value(chain.logits()).floats().clone();
                        float[] zs = gt.tape().value(sLogits).floats();
                        int kc = zt.length / bs;
                        if (hist == null) hist = new int[kc];
                        int[] labels = new int[bs];
                        double d = 0;
                        for (int i = 0; i < bs; i++) {
                            int arg = 0;
                            for (int j = 1; j < kc; j++) if (zt[i * kc + j] > zt[i * kc + arg]) arg = j;
                            labels[i] = arg;
                            hist[arg]++;
                        }
                        for (int i = 0; i < zt.length; i++) d += Math.abs(zt[i] - zs[i]) / zt.length;
                        dis = d;
                        soft[0] = zt;
                        float[] sr = st.step(new Batch(img, labels), sched.at(done));
                        done++;
                        double el = (System.nanoTime() - t0) / 1e9;
                        listener.step(1, 1, done, total, sr[0], sr[1] / bs, (double) done * bs / el, el / done * (total - done));
                    }
                }
            }
            Model trained = st.model().copy();
            Map<String, Object> rep = new LinkedHashMap<>();
            rep.put("mode", "joint");
            rep.put("rounds", rounds);
            rep.put("generator_steps", rounds);
            rep.put("student_steps", rounds * studentSteps);
            rep.put("synthetic_images", (long) rounds * studentSteps * bs);
            rep.put("disagreement_weight", disagreement);
            rep.put("last_generator_loss", gLoss);
            rep.put("last_disagreement", dis);
            rep.put("synthetic_class_counts", hist);
            rep.put("joint_seconds", (System.nanoTime() - t0) / 1e9);
            return new Result(trained, rep);
        }
    }

    /** DAFL's objective on the teacher side plus −w·mean|z_T − z_S| (the student's logits get the opposite sign). */
    static MultiObjective generatorObjective(DataFree.Chain chain, DataFree.Weights w, String sLogits, float disagreement) {
        MultiObjective dafl = DataFree.objective(chain, w);
        return (b, outs, grads) -> {
            float loss = dafl.lossAndGrad(b, outs, grads);
            float[] zt = outs.get(chain.logits()).floats(), zs = outs.get(sLogits).floats();
            float[] gt = grads.get(chain.logits()), gs = grads.get(sLogits);
            double d = 0;
            float k = disagreement / zt.length;
            for (int i = 0; i < zt.length; i++) {
                float diff = zt[i] - zs[i];
                d += Math.abs(diff);
                float sg = Math.signum(diff);
                gt[i] -= k * sg;
                gs[i] += k * sg;
            }
            return (float) (loss - disagreement * d / zt.length);
        };
    }

    /** α·T²·KL(softmax(z_T/T) ‖ softmax(z_S/T)) + (1 − α)·CE(z_S, argmax z_T), averaged over the batch; z_T read from {@code soft[0]}. */
    static io.nnzip.train.Objective studentObjective(float[][] soft, float temperature, float alpha) {
        return (b, out, grad) -> {
            float[] zs = out.floats(), zt = soft[0];
            int n = b.size(), k = zs.length / n;
            double loss = 0, t = temperature;
            for (int i = 0; i < n; i++) {
                int o = i * k;
                double[] pt = softmax(zt, o, k, t), ps = softmax(zs, o, k, t), p1 = softmax(zs, o, k, 1);
                int y = b.labels()[i];
                for (int j = 0; j < k; j++) {
                    if (pt[j] > 0) loss += alpha * t * t * pt[j] * (Math.log(pt[j]) - Math.log(Math.max(ps[j], 1e-30))) / n;
                    grad[o + j] = (float) ((alpha * t * (ps[j] - pt[j]) + (1 - alpha) * (p1[j] - (j == y ? 1 : 0))) / n);
                }
                loss -= (1 - alpha) * Math.log(Math.max(p1[y], 1e-30)) / n;
            }
            return (float) loss;
        };
    }

    private static double[] softmax(float[] z, int o, int k, double t) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < k; j++) max = Math.max(max, z[o + j] / t);
        double[] p = new double[k];
        for (int j = 0; j < k; j++) sum += p[j] = Math.exp(z[o + j] / t - max);
        for (int j = 0; j < k; j++) p[j] /= sum;
        return p;
    }

    /** n noise vectors; with {@code classes} &gt; 0 each carries a class code, classes drawn evenly (written to {@code labels}). */
    private static Tensor noise(SplittableRandom r, int n, int classes, int[] labels) {
        float[] z = new float[n * DataFree.NZ];
        for (int i = 0; i < z.length; i++) z[i] = (float) (Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        if (classes > 0) {
            int off = r.nextInt(classes);
            for (int i = 0; i < n; i++) labels[i] = DataFree.label(z, i, (i + off) % classes, classes);
        }
        return Tensor.of(z, n, DataFree.NZ, 1, 1);
    }
}
