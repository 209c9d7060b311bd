package io.nnzip.pass;

import io.nnzip.data.Dataset;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.train.Evaluator;
import io.nnzip.train.Objective;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one fine-tuning service passes use: the {@link Trainer} on the context's training split, normalized as the
 * context says, with the context's threads and progress; and top-1 accuracy on its validation split. Passes add
 * what they need through the request (an objective for distillation, a listener that re-applies masks).
 */
public final class FineTuning {
    /**
     * @param epochs    full passes over the training split (0: nothing is trained)
     * @param lr        peak learning rate
     * @param optimizer adam or sgd
     * @param schedule  constant, cosine, step...
     * @param seed      data order and initialisation of anything random
     * @param objective null for cross-entropy on the labels
     * @param listener  given the trainer (its live parameters), a listener called after every step besides the
     *                  context's progress (null for none)
     * @param setup     adds hooks and extra parameters to the Trainer's options (null for none)
     * @param worker    the same as plain values that travel to remote workers (null: the request trains here only)
     */
    public record Request(int epochs, float lr, String optimizer, String schedule, long seed, Objective objective,
                          java.util.function.Function<Trainer, TrainListener> listener, java.util.function.Consumer<Trainer.Options> setup,
                          Map<String, boolean[]> zeros, io.nnzip.dist.WorkerSetup worker) {
        public Request(int epochs, float lr, String optimizer, String schedule, long seed, Objective objective,
                       java.util.function.Function<Trainer, TrainListener> listener) {
            this(epochs, lr, optimizer, schedule, seed, objective, listener, null, null, null);
        }

        /** The request with {@code s} applied to the Trainer's options (hooks, extra parameters, feeds). */
        public Request setup(java.util.function.Consumer<Trainer.Options> s) { return new Request(epochs, lr, optimizer, schedule, seed, objective, listener, s, zeros, worker); }

        public static Request of(int epochs, float lr, String schedule, long seed) { return new Request(epochs, lr, "adam", schedule, seed, null, null); }

        public Request listener(java.util.function.Function<Trainer, TrainListener> l) { return new Request(epochs, lr, optimizer, schedule, seed, objective, l, setup, zeros, worker); }

        public Request objective(Objective o) { return new Request(epochs, lr, optimizer, schedule, seed, o, listener, setup, zeros, worker); }

        /**
         * Weights (by initializer name; true = pruned) that stay zero through training: re-zeroed after every step, here
         * or on remote workers. The map is read live, so a listener that grows the masks mid-run is followed.
         */
        public Request zeros(Map<String, boolean[]> z) { return new Request(epochs, lr, optimizer, schedule, seed, objective, listener, setup, z, worker); }

        /** Hooks as plain values: applied to the Trainer here and rebuilt on every remote worker. */
        public Request worker(io.nnzip.dist.WorkerSetup w) { return new Request(epochs, lr, optimizer, schedule, seed, objective, listener, setup, zeros, w); }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("epochs", epochs);
            m.put("lr", lr);
            m.put("optimizer", optimizer);
            m.put("schedule", schedule);
            m.put("seed", seed);
            return m;
        }
    }

    public record Outcome(Model model, Trainer.Report report) {}

    private final PassContext ctx;

    FineTuning(PassContext ctx) { this.ctx = ctx; }

    /** Trains a copy of {@code m}; returns it unchanged (a copy) when the request has no epochs. */
    public Outcome run(Model m, Request r) {
        if (r.epochs() <= 0) return new Outcome(m.copy(), null);
        return run(m, r, ctx.data().requireTrain("fine-tuning"));
    }

    /**
     * As {@link #run(Model, Request)} on a part of the training split (e.g. without the images a search judges its
     * candidates on, so that the judgement is on images the fine-tune never saw).
     */
    public Outcome run(Model m, Request r, Dataset train) {
        if (r.epochs() <= 0) return new Outcome(m.copy(), null);
        if (ctx.remote() != null && train != ctx.data().train())
            throw new io.nnzip.ir.NnzipException("this fine-tuning trains on part of the training split, which remote workers do not hold: drop --spark");
        if (ctx.remote() != null) return remote(m, r, train);
        Trainer.Options o = new Trainer.Options().epochs(r.epochs()).lr(r.lr()).optimizer(r.optimizer()).schedule(r.schedule()).seed(r.seed())
                .threads(ctx.threads());
        if (r.objective() != null) o.objective(r.objective());
        if (r.setup() != null) r.setup().accept(o);
        for (java.util.function.Supplier<io.nnzip.train.StepHook> h : ctx.trainingHooks()) o.hook(h.get());
        if (r.worker() != null) r.worker().start(m, o);
        try (Trainer t = new Trainer(m, o)) {
            TrainListener own = withZeros(r.listener() == null ? null : r.listener().apply(t), t, r.zeros());
            TrainListener both = own == null ? ctx.progress() : new TrainListener() {
                @Override
                public void step(int epoch, int epochs, int batch, int batches, float loss, float acc, double ips, double eta) {
                    own.step(epoch, epochs, batch, batches, loss, acc, ips, eta);
                    ctx.progress().step(epoch, epochs, batch, batches, loss, acc, ips, eta);
                }

                @Override
                public void epochEnd(Trainer.EpochStats s) {
                    own.epochEnd(s);
                    ctx.progress().epochEnd(s);
                }
            };
            Trainer.Report rep = t.fit(train, null, ctx.normalization(m), both);
            return new Outcome(t.model().copy(), rep);
        }
    }

    private Outcome remote(Model m, Request r, Dataset train) {
        // a worker setup (int8 QAT) travels as plain values; other hooks are code that stays in this process
        if (r.objective() != null || r.setup() != null || r.listener() != null || !ctx.trainingHooks().isEmpty())
            throw new io.nnzip.ir.NnzipException("this fine-tuning needs hooks inside the training step (distillation, gradual pruning, penalties, weight-scheme QAT), which do not run on remote workers yet: drop --spark");
        Model out = ctx.remote().train(m, r, ctx.normalization(m), train.size(), ctx.log()).model();
        return new Outcome(out, null);
    }

    /** {@code own} followed by re-zeroing the pruned weights after every step (null zeros: {@code own} alone). */
    private static TrainListener withZeros(TrainListener own, Trainer t, Map<String, boolean[]> zeros) {
        if (zeros == null || zeros.isEmpty()) return own;
        java.util.List<io.nnzip.train.Param> masked = t.params().stream().filter(p -> zeros.containsKey(p.name())).toList();
        return new TrainListener() {
            @Override
            public void step(int epoch, int epochs, int batch, int batches, float loss, float acc, double ips, double eta) {
                if (own != null) own.step(epoch, epochs, batch, batches, loss, acc, ips, eta);
                for (io.nnzip.train.Param p : masked) {
                    boolean[] z = zeros.get(p.name());
                    float[] v = p.value();
                    for (int i = 0; i < v.length; i++) if (z[i]) v[i] = 0f;
                }
            }

            @Override
            public void epochEnd(Trainer.EpochStats s) {
                if (own != null) own.epochEnd(s);
            }
        };
    }

    /**
     * Fine-tuning after a structural rewrite (factorize, redesign), with the validation accuracy of the original,
     * of the rewrite before fine-tuning and after it: the figures that say what the rewrite cost. The result records
     * the normalization it was trained with.
     */
    public Outcome afterRewrite(Model original, Model rewritten, Request r, Map<String, Object> report) {
        report.putAll(r.toMap());
        report.put("objective", r.objective() == null ? "hard labels" : "custom objective");
        Float base = accuracy(original), before = accuracy(rewritten);
        report.put("accuracy_original", base);
        report.put("accuracy_rewritten", before);
        Outcome o = run(rewritten, r);
        if (o.report() != null) {
            report.put("seconds_per_epoch", o.report().meanEpochSeconds());
            report.put("accuracy_finetuned", accuracy(o.model()));
        }
        Float last = (Float) report.get(r.epochs() > 0 ? "accuracy_finetuned" : "accuracy_rewritten");
        if (base != null && last != null) report.put("drop_points", 100 * (base - last));
        ctx.normalization(original).writeTo(o.model());
        return o;
    }

    /** Top-1 accuracy (a fraction) of {@code m} on the validation split, or null when there is none. */
    public Float accuracy(Model m) {
        Dataset val = ctx.data().val();
        if (val == null || !val.labelled()) return null;
        try (Parallel par = new Parallel(ctx.threads())) {
            return Evaluator.evaluate(Evaluator.engine(m, par), val, ctx.normalization(m), 256).accuracy();
        }
    }
}
