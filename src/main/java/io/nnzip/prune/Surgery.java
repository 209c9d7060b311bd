package io.nnzip.prune;

import io.nnzip.data.Batch;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.pass.PassContext;
import io.nnzip.train.Param;
import io.nnzip.train.StepHook;
import io.nnzip.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Dynamic network surgery as a hook on the shared Trainer: the forward pass sees the masked weights, the gradient
 * of those reaches the hidden (unmasked) weights, and every few steps each layer's mask is revised with two
 * thresholds around the magnitude that gives the layer its sparsity: a pruned weight that grew past the upper one is
 * spliced back, a kept one that fell below the lower one is cut. The band between them stops weights from flapping.
 * At the end each layer keeps exactly its share, preferring weights the mask kept. With a schedule ({@link #run}:
 * thirds of the training) the run has three phases: the sparsity ramps up while the masks are revised, then the
 * masks are revised at full sparsity (pruned weights may be spliced back), then each layer's mask is made exact and
 * held fixed while the kept weights fine-tune, so the network trains on the mask it will be shipped with. Pruned
 * weights move by plain gradient descent, as in the DNS paper: an adaptive optimizer (Adam) moves every weight by
 * about lr per step whatever its gradient, and the masks then churn.
 */
public final class Surgery implements StepHook {
    private final Map<String, boolean[]> masks;
    private final Map<String, Double> sparsity = new LinkedHashMap<>();
    private final double band;
    private final int every;
    private final long ramp, fixAt;
    private final Map<String, float[]> hidden = new LinkedHashMap<>();
    private List<Param> params;
    private long steps, spliced, cut;
    private int updates;
    private boolean fixed;
    /** Pruned weights move by plain gradient descent instead of the optimizer's step ({@link #run} sets it). */
    boolean sgdPruned;

    /** @param masks initial masks (true = pruned), revised in place; each layer keeps its initial sparsity */
    public Surgery(WeightMasks masks, double band, int every) { this(masks, band, every, 0, 0); }

    /**
     * @param ramp steps over which each layer's share grows from nothing to its final sparsity along AGP's cubic
     *             (0: the initial masks hold from the first step); with a ramp, training starts unmasked
     * @param fixAt the step after which each mask is made exact and no longer revised (0: revised to the end)
     */
    public Surgery(WeightMasks masks, double band, int every, long ramp, long fixAt) {
        if (fixAt > 0 && fixAt < ramp) throw new NnzipException("dns: the masks cannot be fixed (step " + fixAt + ") before the ramp ends (step " + ramp + ")");
        this.masks = masks.all();
        this.band = band;
        this.every = every;
        this.ramp = ramp;
        this.fixAt = fixAt;
        masks.all().forEach((n, m) -> {
            int z = 0;
            for (boolean b : m) if (b) z++;
            sparsity.put(n, (double) z / m.length);
            if (ramp > 0) Arrays.fill(m, false);
        });
    }

    /** The share of a layer whose final sparsity is {@code s} that is pruned after {@code step} steps. */
    double share(double s, long step) {
        if (ramp <= 0) return s;
        double f = Math.min(1, (double) step / ramp);
        return s * (1 - Math.pow(1 - f, 3));
    }

    @Override
    public void beforeForward(Trainer t, Batch b) {
        if (params == null) params = t.params().stream().filter(p -> masks.containsKey(p.name())).toList();
        for (Param p : params) {
            float[] h = hidden.computeIfAbsent(p.name(), k -> new float[p.size()]);
            System.arraycopy(p.value(), 0, h, 0, h.length);
            WeightMasks.zero(p.value(), masks.get(p.name()));
        }
    }

    @Override
    public float afterBackward(Trainer t) {
        // the gradient was taken at the masked weights; the optimizer moves the hidden ones, pruned or not
        for (Param p : params) System.arraycopy(hidden.get(p.name()), 0, p.value(), 0, p.size());
        return 0f;
    }

    @Override
    public void afterStep(Trainer t) {
        ++steps;
        if (fixed) return;
        if (sgdPruned) {
            // a pruned weight moves by plain gradient descent from where it was (as in the DNS paper), not by the
            // adaptive step, which moves every weight by about lr whatever its gradient and makes the masks churn
            float lr = t.learningRate();
            for (Param p : params) {
                float[] w = p.value(), h = hidden.get(p.name()), g = p.grad();
                boolean[] m = masks.get(p.name());
                for (int i = 0; i < w.length; i++) if (m[i]) w[i] = h[i] - lr * g[i];
            }
        }
        if (fixAt > 0 && steps >= fixAt) {
            // the last phase: the exact final masks, held while the kept weights fine-tune
            for (Param p : params) {
                boolean[] exact = exact(p.value(), masks.get(p.name()), sparsity.get(p.name()));
                System.arraycopy(exact, 0, masks.get(p.name()), 0, exact.length);
                WeightMasks.zero(p.value(), exact);
            }
            fixed = true;
            return;
        }
        if (steps % every != 0) return;
        updates++;
        for (Param p : params) {
            float[] w = p.value();
            boolean[] m = masks.get(p.name());
            double th = threshold(w, share(sparsity.get(p.name()), steps));
            double lo = th * (1 - band), hi = th * (1 + band);
            for (int i = 0; i < w.length; i++) {
                float a = Math.abs(w[i]);
                if (m[i] && a > hi) {
                    m[i] = false;
                    spliced++;
                } else if (!m[i] && a < lo) {
                    m[i] = true;
                    cut++;
                }
            }
        }
    }

    /** The magnitude below which {@code share} of {@code w} lies. */
    static double threshold(float[] w, double share) {
        int k = (int) Math.floor(share * w.length);
        if (k <= 0) return 0;
        float[] a = new float[w.length];
        for (int i = 0; i < a.length; i++) a[i] = Math.abs(w[i]);
        Arrays.sort(a);
        return a[Math.min(k, a.length - 1)];
    }

    /** Exactly each layer's sparsity on the trained weights of {@code g}'s tensors, masked weights going first. */
    WeightMasks finish(Model m) {
        WeightMasks out = new WeightMasks();
        for (Map.Entry<String, boolean[]> e : masks.entrySet())
            out.put(e.getKey(), exact(m.graph().initializer(e.getKey()).toFloats(), e.getValue(), sparsity.get(e.getKey())));
        return out;
    }

    /** A mask pruning exactly {@code share} of {@code w}: the masked weights first, the smallest magnitudes inside each class. */
    static boolean[] exact(float[] w, boolean[] cur, double share) {
        int k = (int) Math.round(share * w.length);
        Integer[] idx = new Integer[w.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> cur[a] != cur[b] ? (cur[a] ? -1 : 1) : Float.compare(Math.abs(w[a]), Math.abs(w[b])));
        boolean[] fin = new boolean[w.length];
        for (int i = 0; i < k; i++) fin[idx[i]] = true;
        return fin;
    }

    /**
     * prune --method dns: initial masks by magnitude at the configured amount and scope, then {@code finetune} epochs
     * of surgery on the context's training split; the hidden weights start as the original ones, so early cuts can heal.
     */
    public static Pruner.Outcome run(Model input, PruneConfig c, PassContext ctx) {
        if (c.finetune() <= 0) throw new NnzipException("--method dns prunes while fine-tuning: it needs --finetune ≥ 1 and --data");
        Model cur = input.copy();
        List<String> notes = new ArrayList<>();
        for (io.nnzip.ir.canon.Rewrite r : io.nnzip.engine.Canonical.apply(cur)) notes.add("canonicalized: " + r);
        Map<String, Double> fixed = LayerAmounts.resolve(LayerAmounts.parse(c.layerAmounts()), cur.graph());
        WeightMasks masks = UnstructuredPruner.prune(cur.copy(), UnstructuredPruner.Method.MAGNITUDE, c.amount(), c.scope(), fixed, c.seed());
        io.nnzip.data.Dataset train = ctx.data().requireTrain("prune --method dns");
        long steps = (long) Math.ceil(train.size() / (double) new Trainer.Options().batchSize) * c.finetune();
        // thirds: the sparsity ramps up, the masks are revised at full sparsity, then fixed while the kept weights fine-tune
        Surgery s = new Surgery(masks, 0.1, 10, steps / 3, Math.max(1, 2 * steps / 3));
        s.sgdPruned = true;
        Trainer.Options o = new Trainer.Options().epochs(c.finetune()).lr(c.lr()).schedule("cosine").seed(c.seed()).threads(ctx.threads()).hook(s);
        Model trained;
        try (Trainer t = new Trainer(cur, o)) {
            t.fit(train, null, ctx.normalization(cur), ctx.progress());
            trained = t.model().copy();
        }
        WeightMasks fin = s.finish(trained);
        fin.apply(trained.graph());
        notes.add(String.format("dns: sparsity ramped over the first %d of %d steps, masks fixed from step %d; %d mask revisions; %d pruned weights spliced back, %d kept weights cut (band ±%.0f%% around each layer's threshold)",
                s.ramp, steps, s.fixAt, s.updates, s.spliced, s.cut, 100 * s.band));
        return new Pruner.Outcome(trained, List.of(), fin, List.of(), notes);
    }
}
