package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.data.Augment;
import io.nnzip.data.Batch;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Executor;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.train.Losses;
import io.nnzip.train.LrSchedule;
import io.nnzip.train.Param;
import io.nnzip.train.StepHook;
import io.nnzip.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Quantization-aware refinement of an update's levels at the sender. Compensation fits each layer's levels to that
 * layer's output; what the receiver is judged on is the network's output. Here the levels themselves are trained:
 * the receiver holds W = B + s·q (s the update step the coder derives, q the levels), so W is written from latent
 * values u (in units of s) as B + s·round(u), and u follows the straight-through gradient of the KL divergence of the
 * patched model's predictions from NEW's on training images. Levels that were zero stay zero (the skip pattern and
 * most of the rate are kept; a level may become zero). The learning rate is in levels per step, so one rate suits
 * layers of any step. Encoder-side only: the result is a target whose levels the coder reproduces exactly.
 */
public final class LevelRefinement {
    /**
     * The recipe: optimizer steps, learning rate in levels per step (Adam, cosine to 0), batch, seed, threads; latents
     * start at the unrefined levels, or with {@code fromTarget} at the compensated values before rounding (tried, not chosen).
     */
    public record Config(int steps, float lr, int batch, long seed, int threads, boolean fromTarget) {
        /** The recipe chosen on held-out training images (BENCHMARKS.md, issue 14, session 16) for {@code steps} steps. */
        public static Config of(int steps, int threads) { return new Config(steps, LR, BATCH, 0, threads, false); }
    }

    /** Learning rate in levels per step, and batch size, of {@link Config#of}. */
    public static final float LR = 0.01f;
    public static final int BATCH = 128;

    /**
     * {@code target}: the refined coding target; {@code received}: what the receiver decodes from it (base + the coder's
     * step · level); {@code changed}: levels that differ from the unrefined ones; losses of the first and last steps.
     */
    public record Result(Model target, Model received, int changed, int levels, float firstLoss, float lastLoss) {}

    private LevelRefinement() {}

    /**
     * Refines the levels of {@code layers} in {@code target} (a coding target at options {@code o} against
     * {@code received}): the other tensors stay as {@code target} has them and are trained as the receiver decodes them.
     */
    public static Result refine(Model received, Model next, Model target, CodecOptions o, List<String> layers, Dataset images, Normalization norm, Config c) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DiffEncoder.diffReceived(received, target, o, null, buf);
        Model patched = Patcher.patch(received, buf.toByteArray(), "refinement", c.threads());
        List<Layer> ls = new ArrayList<>();
        for (String name : layers) {
            Tensor t = target.graph().initializer(name);
            float[] b = received.graph().initializer(name).floats();
            double s = BaseGrid.steps(t.floats(), b, dims(t), -1, o.qpFor(name))[0];
            float[] u = new float[b.length], q0 = new float[b.length];
            for (int i = 0; i < b.length; i++) {
                q0[i] = (float) ErrorCompensation.level(t.floats()[i] - b[i], s);
                u[i] = c.fromTarget() ? (float) ((t.floats()[i] - b[i]) / s) : q0[i];
            }
            ls.add(new Layer(name, b, s, q0, new Param(name + "#levels", u, false)));
        }
        StepHook ste = new StepHook() {
            @Override
            public void beforeForward(Trainer tr, Batch batch) {
                for (Layer l : ls) l.write(tr.model().graph().initializer(l.name).floats());
            }

            @Override
            public float afterBackward(Trainer tr) {
                for (Param p : tr.params())
                    for (Layer l : ls) if (l.name.equals(p.name())) l.backward(p.grad());
                return 0f;
            }
        };
        Executor teacher = new Executor(next);
        String out = next.graph().outputNames().getFirst();
        Trainer.Options opt = new Trainer.Options().batchSize(c.batch()).threads(c.threads()).seed(c.seed()).optimizer("adam").hook(ste)
                .objective((b, s, g) -> {
                    float[] t = teacher.run(Map.of(next.graph().runtimeInputs().getFirst().name(), b.images())).get(out).floats();
                    return Losses.klDivergence(s.floats(), t, b.size(), s.size() / b.size(), 1f, g);
                });
        opt.trainable("^(" + String.join("|", layers.stream().map(Pattern::quote).toList()) + ")$", null);
        opt.derived(layers);
        for (Layer l : ls) opt.extraParam(l.latent);
        float first = Float.NaN, last = Float.NaN;
        try (Trainer tr = new Trainer(patched, opt)) {
            LrSchedule sched = LrSchedule.of("cosine", c.lr(), c.steps(), 0, c.steps(), 1f);
            int step = 0;
            for (int epoch = 0; step < c.steps(); epoch++)
                try (BatchLoader loader = new BatchLoader(images, c.batch(), true, norm, Augment.NONE, c.seed(), epoch)) {
                    while (loader.hasNext() && step < c.steps()) {
                        float loss = tr.step(loader.next(), sched.at(step++))[0];
                        if (step == 1) first = loss;
                        last = loss;
                    }
                }
        }
        Model refined = target.copy(), decoded = patched.copy();
        int changed = 0, levels = 0;
        for (Layer l : ls) {
            float[] q = l.levels();
            for (int i = 0; i < q.length; i++) {
                if (q[i] != l.q0[i]) changed++;
                if (l.q0[i] != 0) levels++;
            }
            int[] shape = target.graph().initializer(l.name).shape();
            float[] t = onStep(l.base, q, shape, o.qpFor(l.name));
            refined.graph().initializers().put(l.name, new Tensor(DType.FLOAT, shape, t));
            decoded.graph().initializers().put(l.name, new Tensor(DType.FLOAT, shape, UpdateCompensation.received(t, l.base, shape, o.qpFor(l.name))));
        }
        return new Result(refined, decoded, changed, levels, first, last);
    }

    /**
     * base + s·q with s near the step the coder derives from these very values (it follows the tensor's spread; a few
     * fixed-point passes), so that the coder rounds them back to q.
     */
    static float[] onStep(float[] base, float[] q, int[] shape, int qp) {
        long[] dims = Arrays.stream(shape).asLongStream().toArray();
        float[] w = base.clone();
        double s = BaseGrid.steps(w, base, dims, -1, qp)[0];
        for (int pass = 0; pass < 8; pass++) {
            for (int i = 0; i < w.length; i++) w[i] = (float) (base[i] + q[i] * s);
            double next = BaseGrid.steps(w, base, dims, -1, qp)[0];
            if (next == s) break;
            s = next;
        }
        return w;
    }

    private static long[] dims(Tensor t) { return Arrays.stream(t.shape()).asLongStream().toArray(); }

    /** One refined layer: base, step, the unrefined levels (their zeros stay), latent levels. */
    private record Layer(String name, float[] base, double step, float[] q0, Param latent) {
        float[] levels() {
            float[] u = latent.value(), q = new float[u.length];
            for (int i = 0; i < u.length; i++) q[i] = q0[i] == 0 ? 0 : (float) ErrorCompensation.level(u[i], 1);
            return q;
        }

        void write(float[] w) {
            float[] q = levels();
            for (int i = 0; i < w.length; i++) w[i] = (float) (base[i] + q[i] * step);
        }

        // straight through the rounding: dL/du = s·dL/dW where a level may move, 0 where it stays zero
        void backward(float[] gw) {
            float[] g = latent.grad();
            for (int i = 0; i < g.length; i++) g[i] = q0[i] == 0 ? 0 : (float) (gw[i] * step);
        }
    }
}
