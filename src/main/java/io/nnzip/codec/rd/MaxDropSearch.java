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
 * Per-layer step search under an accuracy bound: starting from the options' QP everywhere, visit weight tensors
 * from largest to smallest and coarsen each one's QP (by 4, i.e. doubling Δ, then by 2 to refine) for as long as
 * the model — with every layer at its current choice — keeps accuracy ≥ original − maxDrop on the probe's data.
 * The accepted model is always the last one measured, so the bound holds for the returned choice.
 */
public final class MaxDropSearch {
    /** The QP per tensor found, the original and final accuracy, and how many evaluations it took. */
    public record Result(Map<String, Integer> qps, double baseAccuracy, double finalAccuracy, int evaluations) {}

    private MaxDropSearch() {}

    public static Result search(Model m, AccuracyProbe probe, double maxDropPoints, CodecOptions o, Consumer<String> log) {
        double base = probe.accuracy(m);
        double floor = base - maxDropPoints / 100.0;
        List<String> weights = new ArrayList<>();
        m.graph().initializers().forEach((k, t) -> {
            if (t.dtype() == DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED) weights.add(k);
        });
        weights.sort((a, b) -> Integer.compare(m.graph().initializer(b).size(), m.graph().initializer(a).size()));
        Model work = m.copy();
        Map<String, Integer> qps = new LinkedHashMap<>();
        for (String w : weights) {
            qps.put(w, o.qp());
            work.graph().initializers().put(w, quantized(m, w, o.qp(), o));
        }
        int evals = 1;
        double acc = probe.accuracy(work);
        evals++;
        if (acc < floor) log.accept("note: the starting QP " + o.qp() + " already drops accuracy to " + pct(acc) + " (original " + pct(base) + ")");
        for (String w : weights) {
            int cur = qps.get(w);
            for (int delta : new int[] {4, 2}) {
                while (cur + delta <= CodecOptions.QP_MAX) {
                    Tensor trial = quantized(m, w, cur + delta, o);
                    Tensor keep = work.graph().initializers().put(w, trial);
                    double a = probe.accuracy(work);
                    evals++;
                    if (a >= floor) {
                        cur += delta;
                        acc = a;
                    } else {
                        work.graph().initializers().put(w, keep);
                        break;
                    }
                }
            }
            qps.put(w, cur);
            log.accept(String.format("%s: QP %d (accuracy %s)", w, cur, pct(acc)));
        }
        return new Result(qps, base, acc, evals);
    }

    private static Tensor quantized(Model m, String name, int qp, CodecOptions o) {
        return ModelEncoder.reconstructTensor(m, name, o.withOverrides(Map.of(name, qp)));
    }

    private static String pct(double a) { return String.format("%.2f%%", a * 100); }
}
