package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.TensorReport;
import io.nnzip.codec.TensorSource;
import io.nnzip.codec.rd.AccuracyProbe;
import io.nnzip.ir.Model;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The update step chosen by accuracy: the coarsest QP at which the patched model — the receiver's base plus the
 * coded difference — stays within {@code maxDrop} points of the new model on the probe's data. An update only has
 * to carry the change down to the accuracy the new model needs, and one epoch of fine-tuning moves most weights by
 * less than a step that is still transparent for the model; at the full model's transparent step (QP −12) those
 * moves cost a level each. Accuracy falls with the QP except for noise of a few tenths of a point, so the boundary
 * is found by bisection over [{@code finest}, {@link CodecOptions#QP_MAX}], and of all QPs measured within bound the
 * one giving the fewest bytes is returned (a coarser QP can cost more when its step stops matching the receiver's
 * grid). The accepted QP was always measured, so the bound holds for it on the probe's data.
 */
public final class UpdateStepSearch {
    /** The chosen QP, its update's bytes and probe accuracy, the new model's probe accuracy, and the evaluations. */
    public record Result(int qp, long bytes, double accuracy, double newAccuracy, int evaluations) {}

    /** Coarsest QP tried: Δ = 4σ, beyond which a trained layer keeps hardly any level. */
    static final int QP_COARSEST = 8;

    private UpdateStepSearch() {}

    /**
     * @param received the base as the receiver holds it
     * @param options  the update's coding options at a QP (equal steps resolved by the caller)
     * @param finest   the finest QP considered (the caller's --qp)
     */
    public static Result search(Model received, Model next, AccuracyProbe probe, double maxDropPoints, IntFunction<CodecOptions> options, int finest,
                                Consumer<String> log) {
        return search(received, next, o -> next, probe, maxDropPoints, options, finest, log);
    }

    /**
     * As above, coding at options {@code o} the model {@code target.apply(o)} (e.g. an error-compensated version of
     * {@code next}) in place of {@code next}; the bound stays relative to {@code next}'s accuracy.
     */
    public static Result search(Model received, Model next, Function<CodecOptions, Model> target, AccuracyProbe probe, double maxDropPoints,
                                IntFunction<CodecOptions> options, int finest, Consumer<String> log) {
        double ref = probe.accuracy(next);
        double floor = ref - maxDropPoints / 100.0;
        TreeMap<Integer, double[]> seen = new TreeMap<>(); // qp -> {accuracy, bytes}
        int evals = 1;
        int lo = finest, hi = Math.max(finest, QP_COARSEST) + 1;
        double[] first = measure(received, target, probe, options.apply(lo));
        evals++;
        seen.put(lo, first);
        log.accept(String.format("update QP %d: %.0f bytes, accuracy %.2f%% (new model %.2f%%)", lo, first[1], 100 * first[0], 100 * ref));
        if (first[0] < floor) {
            log.accept("note: even the finest update QP " + lo + " is below the bound; it is kept");
            return new Result(lo, (long) first[1], first[0], ref, evals);
        }
        // Invariant: lo within bound, hi not (or beyond the range).
        while (hi - lo > 1) {
            int mid = Math.floorDiv(lo + hi, 2);
            double[] r = measure(received, target, probe, options.apply(mid));
            evals++;
            seen.put(mid, r);
            log.accept(String.format("update QP %d: %.0f bytes, accuracy %.2f%%", mid, r[1], 100 * r[0]));
            if (r[0] >= floor) lo = mid;
            else hi = mid;
        }
        int best = lo;
        for (var e : seen.entrySet()) if (e.getValue()[0] >= floor && e.getValue()[1] < seen.get(best)[1]) best = e.getKey();
        return new Result(best, (long) seen.get(best)[1], seen.get(best)[0], ref, evals);
    }

    /** Per-tensor QPs found by {@link #refine}, the update's bytes and probe accuracy with them, and the evaluations. */
    public record Refined(Map<String, Integer> qps, long bytes, double accuracy, int evaluations) {}

    /** Coarsening steps per tensor: doubling Δ, then √2, then 2^¼. */
    static final int[] STRIDES = {4, 2, 1};

    /**
     * Per-tensor refinement of a global update QP: one QP for all tensors spends the same precision on a change the
     * model hardly notices (a wide classifier layer) as on one it needs (a narrow early convolution). Starting from
     * {@code start} (the global choice, its per-tensor QPs included), each changed weight tensor, largest first, is
     * coarsened by {@link #STRIDES} for as long as the patched model keeps {@code floor} on the probe and the update
     * gets smaller; at a step where no level survives the tensor is skipped (the receiver keeps its base values).
     * The returned choice was measured last, so the bound holds for it on the probe's data.
     *
     * @param startAccuracy the probe accuracy already measured at {@code start}
     */
    public static Refined refine(Model received, Model next, AccuracyProbe probe, double floor, CodecOptions start, double startAccuracy,
                                 Consumer<String> log) {
        return refine(received, next, o -> next, probe, floor, start, startAccuracy, log);
    }

    /** As above, coding {@code target.apply(o)} in place of {@code next} (see {@link #search(Model, Model, Function, AccuracyProbe, double, IntFunction, int, Consumer)}). */
    public static Refined refine(Model received, Model next, Function<CodecOptions, Model> target, AccuracyProbe probe, double floor, CodecOptions start,
                                 double startAccuracy, Consumer<String> log) {
        List<String> order = new ArrayList<>();
        next.graph().initializers().forEach((k, t) -> {
            boolean weight = t.dtype() == io.nnzip.ir.DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED;
            if (weight && !t.equals(received.graph().initializer(k))) order.add(k);
        });
        order.sort((a, b) -> Integer.compare(next.graph().initializer(b).size(), next.graph().initializer(a).size()));
        Map<String, Integer> qps = new LinkedHashMap<>(start.qpOverrides());
        for (String k : order) qps.putIfAbsent(k, start.qp());
        double[] cur = measure(received, target, null, start.withOverrides(qps));
        cur[0] = startAccuracy;
        int evals = 0;
        java.util.Set<Map<String, Integer>> tried = new java.util.HashSet<>();
        for (String k : order) {
            for (int stride : STRIDES) {
                while (qps.get(k) + stride <= CodecOptions.QP_MAX) {
                    Map<String, Integer> trial = new LinkedHashMap<>(qps);
                    trial.put(k, qps.get(k) + stride);
                    if (!tried.add(trial)) break; // measured already (a finer stride returning to a failed QP)
                    double[] r = measure(received, target, probe, start.withOverrides(trial));
                    evals++;
                    log.accept(String.format("update %s QP %d: %.0f bytes, accuracy %.2f%%", k, trial.get(k), r[1], 100 * r[0]));
                    if (r[0] < floor || r[1] >= cur[1]) break;
                    qps = trial;
                    cur = r;
                }
            }
        }
        return new Refined(qps, (long) cur[1], cur[0], evals);
    }

    /** The patched model's probe accuracy (NaN without a probe) and the update's tensor-unit bytes at options {@code o} (nothing serialized to disk). */
    static double[] measure(Model received, Function<CodecOptions, Model> target, AccuracyProbe probe, CodecOptions o) {
        Model next = target.apply(o);
        ModelEncoder.Written w = ModelEncoder.writeUnits(null, TensorSource.of(next), received, o, true);
        Model patched = next.copy();
        patched.graph().initializers().replaceAll((k, v) -> w.reconstruction().getOrDefault(k, v));
        long bytes = 0;
        for (TensorReport t : w.tensors()) bytes += t.bytes();
        return new double[] {probe == null ? Double.NaN : probe.accuracy(patched), bytes};
    }
}
