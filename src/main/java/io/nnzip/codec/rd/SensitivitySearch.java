package io.nnzip.codec.rd;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Per-layer steps under an accuracy bound, spending bits where the predictions are sensitive. Each weight tensor l
 * alone is quantized at a probe step, and the divergence of the model's predictions from the original's (KL, on the
 * probe's data) per unit of quantization noise power gives its per-weight sensitivity s_l. Minimizing the rate
 * Σ n_l · log2(1/Δ_l) subject to a total distortion Σ s_l · n_l · Δ_l²/12 gives Δ_l² ∝ 1/s_l: every layer gets the
 * step at which one more bit buys the same drop in divergence. In QP units (Δ = σ_l · 2^(QP/4)):
 * <pre>
 *   QP_l = g + round(4 · log2(1 / (σ_l · √s_l)) − mean over layers)
 * </pre>
 * and one global offset g is bisected to the coarsest value whose accuracy stays ≥ original − maxDrop; a last pass
 * tries to coarsen the largest tensors one at a time by 1 QP. The accepted model is always the last one measured, so
 * the bound holds for the returned choice (on the probe's data).
 */
public final class SensitivitySearch {
    /** Probe step for measuring sensitivities: Δ = σ/2, noisy enough to move the divergence, far from breaking the model. */
    static final int PROBE_QP = -4;
    /** QPs considered per layer: σ/256 to 8σ. */
    private static final int QP_LO = -32, QP_HI = 12, BISECTIONS = 12;

    private SensitivitySearch() {}

    public static MaxDropSearch.Result search(Model m, OutputProbe probe, double maxDropPoints, CodecOptions o, Consumer<String> log) {
        return search(m, probe, maxDropPoints, o, null, log);
    }

    /**
     * As {@link #search(Model, OutputProbe, double, CodecOptions, Consumer)}; with {@code comp} every trial model's
     * weights are error-compensated for their QPs first (the sensitivities and sizes are still those of plain coding).
     */
    public static MaxDropSearch.Result search(Model m, OutputProbe probe, double maxDropPoints, CodecOptions o, ErrorCompensation comp, Consumer<String> log) {
        double base = probe.reference(m);
        double floor = base - maxDropPoints / 100.0;
        List<String> weights = new ArrayList<>();
        m.graph().initializers().forEach((k, t) -> {
            if (t.dtype() == DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED) weights.add(k);
        });
        weights.sort((a, b) -> Integer.compare(m.graph().initializer(b).size(), m.graph().initializer(a).size()));
        int evals = 1;
        Map<String, Double> sens = new LinkedHashMap<>();
        for (String w : weights) {
            Tensor t = m.graph().initializer(w);
            Tensor q = quantized(m, w, PROBE_QP, o);
            double mse = mse(t.floats(), q.floats());
            Model trial = m.copy();
            trial.graph().initializers().put(w, q);
            double kl = Math.max(probe.measure(trial)[1], 1e-12);
            evals++;
            double s = kl / (t.size() * Math.max(mse, 1e-30));
            sens.put(w, s);
            log.accept(String.format("%s: sensitivity %.3g per unit noise power (KL %.3g at QP %d)", w, s, kl, PROBE_QP));
        }
        // Each layer's options: every QP in range with its actual coded size and predicted divergence s_l·n_l·mse.
        Map<String, double[][]> options = new LinkedHashMap<>();
        for (String w : weights) {
            Tensor t = m.graph().initializer(w);
            double s = sens.get(w);
            double[][] opt = new double[QP_HI - QP_LO + 1][];
            for (int qp = QP_LO; qp <= QP_HI; qp++) {
                Tensor q = quantized(m, w, qp, o);
                opt[qp - QP_LO] = new double[] {ModelEncoder.codedBytes(m, w, o.withOverrides(Map.of(w, qp))), s * t.size() * mse(t.floats(), q.floats())};
            }
            options.put(w, opt);
        }
        // Bisection on log λ: each layer takes the QP minimizing bytes + λ·divergence; larger λ, finer steps.
        double lo = Math.log(1e-2), hi = Math.log(1e12);
        Map<String, Integer> qps = choose(options, Math.exp(hi));
        Model first = trial(m, qps, o, comp);
        double loAcc = probe.accuracy(first);
        evals++;
        for (int it = 0; it < BISECTIONS; it++) {
            double mid = (lo + hi) / 2;
            Map<String, Integer> cand = choose(options, Math.exp(mid));
            Model trial = trial(m, cand, o, comp);
            double acc = probe.accuracy(trial);
            evals++;
            if (acc >= floor) {
                hi = mid;
                qps = cand;
                loAcc = acc;

            } else lo = mid;
        }
        int lo0 = (int) Math.round(hi / Math.log(10));
        log.accept("lambda 1e" + lo0 + ": " + qps + String.format(" (accuracy %.2f%%)", 100 * loAcc));
        // Refinement: the largest tensors carry most of the rate; try each one 1 QP coarser.
        double acc = loAcc;
        for (String w : weights.subList(0, Math.min(2, weights.size()))) {
            for (int step = 0; step < 4 && qps.get(w) < CodecOptions.QP_MAX; step++) {
                Map<String, Integer> cand = new LinkedHashMap<>(qps);
                cand.put(w, qps.get(w) + 1);
                Model next = trial(m, cand, o, comp);
                double a = probe.accuracy(next);
                evals++;
                if (a < floor) break;
                qps = cand;
                acc = a;
            }
        }
        log.accept(String.format("final: %s (accuracy %.2f%%, %d evaluations)", qps, 100 * acc, evals));
        return new MaxDropSearch.Result(qps, base, acc, evals);
    }

    private static Map<String, Integer> choose(Map<String, double[][]> options, double lambda) {
        Map<String, Integer> q = new LinkedHashMap<>();
        options.forEach((w, opt) -> {
            int best = 0;
            for (int i = 1; i < opt.length; i++) if (opt[i][0] + lambda * opt[i][1] < opt[best][0] + lambda * opt[best][1]) best = i;
            q.put(w, QP_LO + best);
        });
        return q;
    }

    // What the receiver decodes for these QPs: the (compensated) weights, quantized by the encoder.
    private static Model trial(Model m, Map<String, Integer> qps, CodecOptions o, ErrorCompensation comp) {
        return apply(comp == null ? m : comp.apply(m, qps), qps, o);
    }

    private static Model apply(Model m, Map<String, Integer> qps, CodecOptions o) {
        Model work = m.copy();
        qps.forEach((w, q) -> work.graph().initializers().put(w, quantized(m, w, q, o)));
        return work;
    }

    private static Tensor quantized(Model m, String name, int qp, CodecOptions o) {
        return ModelEncoder.reconstructTensor(m, name, o.withOverrides(Map.of(name, qp)));
    }

    private static double mse(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            s += d * d;
        }
        return s / a.length;
    }
}
