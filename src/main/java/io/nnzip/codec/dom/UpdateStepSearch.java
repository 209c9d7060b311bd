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

    /**
     * Slack under a bound: accuracies arrive as float ratios (9151/10000 as a float is 0.91509998), so a patched model
     * exactly {@code maxDrop} points below the new one would read as just outside the bound. One millionth is a
     * hundredth of an image on 10,000 and far above float rounding.
     */
    public static final double FLOAT_SLACK = 1e-6;

    /** The lowest criterion value within {@code maxDropPoints} of {@code reference} (with {@link #FLOAT_SLACK}). */
    public static double floor(double reference, double maxDropPoints) { return reference - maxDropPoints / 100.0 - FLOAT_SLACK; }

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
        double floor = floor(ref, maxDropPoints);
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

    /** Coarsest QP of the per-tensor grid below the skip point, and the grid's stride. */
    static final int GRID_COARSEST = 12, GRID_STRIDE = 2;

    /**
     * Per-tensor update steps along a rate–divergence path. The greedy {@link #refine} accepts or rejects some twenty
     * coarsenings on top-1 accuracy, each a comparison of two models on the validation images; every accepted move
     * also fits those images' noise (±0.1–0.2 points), and the allocation it ends on is largely chosen by that noise.
     * Here the choice is made on a smooth measure first: every changed weight tensor l alone is coded at each QP q of
     * a grid (from {@code finest} by {@link #GRID_STRIDE} to {@link #GRID_COARSEST}, then {@link CodecOptions#QP_MAX},
     * where no level survives and the tensor is skipped), the other tensors kept at the new model's values, and the
     * mean KL divergence KL_l(q) of the patched model's predictions from the new model's is measured with its bytes
     * R_l(q) (one coding of all tensors at q gives every R_l(q) and reconstruction, since tensors are coded
     * independently). For a multiplier λ each tensor takes the q minimizing R_l(q) + λ·KL_l(q) (divergences of small
     * independent perturbations add); the distinct allocations over a log grid of λ form a path from coarse to fine,
     * and a bisection on the path's index finds the coarsest allocation that {@code criterion} keeps at or above
     * {@code floor} — one ordered family, so the bound is fitted once, not move by move. Of the allocations measured
     * within bound the one with the fewest bytes is returned; if none is, the finest on the path.
     *
     * @param probe     measures KL against its reference, which the caller set to {@code next}
     * @param criterion what the bound is on (accuracy, agreement: same scale as {@code floor})
     */
    public static Path path(Model received, Model next, Function<CodecOptions, Model> target, io.nnzip.codec.rd.OutputProbe probe,
                            IntFunction<CodecOptions> options, int finest, Consumer<String> log) {
        List<String> names = changedWeights(received, next);
        List<Integer> grid = new ArrayList<>();
        for (int q = finest; q <= GRID_COARSEST; q += GRID_STRIDE) grid.add(q);
        grid.add(CodecOptions.QP_MAX);
        int evals = 0;
        Map<String, double[][]> table = new LinkedHashMap<>(); // tensor -> per grid point {bytes, kl, the tensor's own QP}
        for (String k : names) table.put(k, new double[grid.size()][]);
        for (int g = 0; g < grid.size(); g++) {
            CodecOptions o = options.apply(grid.get(g));
            Model t = target.apply(o);
            ModelEncoder.Written w = ModelEncoder.writeUnits(null, TensorSource.of(t), received, o, true);
            Map<String, Long> bytes = new java.util.HashMap<>();
            for (TensorReport r : w.tensors()) bytes.put(r.name(), r.bytes());
            for (String k : names) {
                Model alone = next.copy();
                alone.graph().initializers().put(k, w.reconstruction().getOrDefault(k, received.graph().initializer(k)));
                double kl = Math.max(probe.measure(alone)[1], 0);
                evals++;
                // The options may set a tensor's QP apart from the global one (--equal-steps): the allocation records the tensor's own.
                int own = Math.min(o.qpFor(k), CodecOptions.QP_MAX);
                table.get(k)[g] = new double[] {bytes.getOrDefault(k, 0L), kl, own};
                log.accept(String.format("update %s alone at QP %d: %d bytes, KL %.3g", k, own, bytes.getOrDefault(k, 0L), kl));
            }
        }
        return new Path(lagrangianPath(table), evals);
    }

    /** The allocations of {@link #ratePath}'s path, coarsest first, and the KL evaluations it took to build it. */
    public record Path(List<Map<String, Integer>> allocations, int evaluations) {}

    /** As {@link #ratePath}: the bisection on {@code criterion} over the path. */
    public static Refined ratePath(Model received, Model next, Function<CodecOptions, Model> target, io.nnzip.codec.rd.OutputProbe probe,
                                   AccuracyProbe criterion, double floor, IntFunction<CodecOptions> options, int finest, Consumer<String> log) {
        Path p = path(received, next, target, probe, options, finest, log);
        List<Map<String, Integer>> path = p.allocations();
        int evals = p.evaluations();
        CodecOptions start = options.apply(finest);
        TreeMap<Integer, double[]> seen = new TreeMap<>(); // path index -> {criterion, bytes}
        int lo = 0, hi = path.size() - 1; // path[0] coarsest
        // Invariant: everything coarser than lo is assumed out of bound, everything finer than hi assumed within.
        int ok = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            double[] r = measure(received, target, criterion, start.withOverrides(path.get(mid)));
            evals++;
            seen.put(mid, r);
            log.accept(String.format("update path %d/%d %s: %.0f bytes, criterion %.4f (bound %.4f)", mid, path.size(), path.get(mid), r[1], r[0], floor));
            if (r[0] >= floor) { ok = mid; hi = mid - 1; } else lo = mid + 1;
        }
        int best = -1;
        for (var e : seen.entrySet())
            if (e.getValue()[0] >= floor && (best < 0 || e.getValue()[1] < seen.get(best)[1])) best = e.getKey();
        if (best < 0) {
            best = path.size() - 1;
            if (!seen.containsKey(best)) {
                seen.put(best, measure(received, target, criterion, start.withOverrides(path.get(best))));
                evals++;
            }
            log.accept("note: even the finest allocation on the path is below the bound; it is kept");
        }
        return new Refined(path.get(best), (long) seen.get(best)[1], seen.get(best)[0], evals);
    }

    /**
     * The finest allocation of {@link #path} whose update fits in {@code maxBytes} (tensor units), with its probe
     * accuracy and KL divergence; if none fits, the coarsest. Why a byte budget rather than a bound on the validation
     * drop: near the size a link allows, the patched model differs from the new one on ~1 % of the images, so its
     * accuracy on any 10,000-image split moves by ±0.1 points around its mean drop (a paired standard error of
     * √(changed)/N), and a rule stopping where the validation drop touches the bound lands on the bound's edge by
     * construction. Spending the whole budget on fidelity minimizes the changed predictions, which is the only thing
     * the sender controls. Bytes grow along the path (coarse to fine), so the boundary is found by bisection on bytes
     * alone (coding only, no model runs); the chosen allocation is then measured once.
     *
     * After the bisection, each tensor that the next finer path point codes finer is moved toward it one QP at a time
     * while the update still fits (the path's points are grid steps of 2 QPs apart).
     *
     * @param skip the finest {@code skip} allocations are left out (and nothing is refined)
     */
    public static PathPoint budget(Model received, Model next, Function<CodecOptions, Model> target, io.nnzip.codec.rd.OutputProbe probe,
                                   long maxBytes, IntFunction<CodecOptions> options, int finest, Path p, int skip, Consumer<String> log) {
        List<Map<String, Integer>> path = p.allocations();
        CodecOptions start = options.apply(finest);
        int lo = 0, hi = path.size() - 1 - skip, fit = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            double bytes = measure(received, target, null, start.withOverrides(path.get(mid)))[1];
            log.accept(String.format("update path %d/%d %s: %.0f bytes (budget %d)", mid, path.size(), path.get(mid), bytes, maxBytes));
            if (bytes <= maxBytes) { fit = mid; lo = mid + 1; } else hi = mid - 1;
        }
        if (fit < 0) {
            fit = 0;
            log.accept("note: even the coarsest allocation on the path exceeds the budget; it is kept");
        }
        // Path points are QP-grid steps of 2 apart and the next finer one may change a large tensor by a whole step:
        // move each tensor that differs toward the finer point one QP at a time while the whole update still fits.
        Map<String, Integer> qps = new LinkedHashMap<>(path.get(fit));
        if (skip == 0 && fit + 1 < path.size()) {
            Map<String, Integer> finer = path.get(fit + 1);
            for (String k : qps.keySet())
                for (int q = qps.get(k) - 1; q >= finer.get(k) && q >= finest; q--) {
                    Map<String, Integer> trial = new LinkedHashMap<>(qps);
                    trial.put(k, q);
                    double bytes = measure(received, target, null, start.withOverrides(trial))[1];
                    log.accept(String.format("update refine %s: %.0f bytes (budget %d)", trial, bytes, maxBytes));
                    if (bytes > maxBytes || trial.equals(finer)) break;
                    qps = trial;
                }
        }
        return point(fit, qps, received, target, start, probe);
    }

    /** Codes one allocation against what the receiver holds and measures the patched model on the probe. */
    private static PathPoint point(int index, Map<String, Integer> qps, Model received, Function<CodecOptions, Model> target,
                                   CodecOptions start, io.nnzip.codec.rd.OutputProbe probe) {
        CodecOptions o = start.withOverrides(qps);
        Model t = target.apply(o);
        ModelEncoder.Written w = ModelEncoder.writeUnits(null, TensorSource.of(t), received, o, true);
        Model patched = t.copy();
        patched.graph().initializers().replaceAll((k, v) -> w.reconstruction().getOrDefault(k, v));
        long bytes = 0;
        for (TensorReport r : w.tensors()) bytes += r.bytes();
        double[] m = probe.measure(patched);
        return new PathPoint(index, qps, bytes, m[0], Math.max(m[1], 0));
    }

    /** One allocation of the path as measured: its bytes, the patched model's probe accuracy and KL divergence from the new model. */
    public record PathPoint(int index, Map<String, Integer> qps, long bytes, double accuracy, double kl) {}

    /**
     * The fitted choice on the path: the chosen allocation, every point as measured, the fitted drop per √KL (points
     * of accuracy per √nat) and its upper value used for the choice, and the points the fit used.
     */
    public record PathFit(Refined chosen, List<PathPoint> points, double slope, double slopeUpper, int fitted) {}

    /** Standard errors added to the fitted slope: the margin of {@link #fitted}. */
    public static final double MARGIN_SE = 2;

    /**
     * Per-tensor update steps along the rate–divergence path of {@link #path}, chosen on a fitted drop instead of a
     * bisection. A bisection compares one allocation's top-1 accuracy with the new model's per step; near the bound
     * the two differ on about 1 % of the images, and a 10,000-image split resolves that difference only to ±0.1–0.15
     * points, so the point it stops at is decided by noise (accuracy along the path is not monotone). Here every
     * allocation of the path is measured (accuracy and KL divergence from the new model in one pass), and the drop
     * is modelled as d = c·√KL: a small perturbation of the logits of size ε gives KL ∝ ε² and flips ∝ ε of the
     * predictions, so both the changed predictions and the accuracy they cost grow like √KL. The slope c is fitted on
     * all points at once (the ratio estimator Σd/Σ√KL, which weights each point by the inverse of its drop's
     * variance, itself ∝ its share of changed predictions ∝ √KL), refitted on the points it predicts within 4× the
     * bound (the path's coarse end, where whole tensors are skipped, bends away from the model); the margin is
     * {@link #MARGIN_SE} standard errors of c. The coarsest allocation whose predicted drop c⁺·√KL is within
     * {@code maxDropPoints} and whose measured accuracy is also within the bound is returned; if none is, the finest.
     *
     * @param probe      measures KL against its reference, which the caller set to {@code next}
     * @param reference  {@code next}'s accuracy on the probe
     */
    public static PathFit fitted(Model received, Model next, Function<CodecOptions, Model> target, io.nnzip.codec.rd.OutputProbe probe,
                                 double reference, double maxDropPoints, IntFunction<CodecOptions> options, int finest, Consumer<String> log) {
        Path p = path(received, next, target, probe, options, finest, log);
        List<Map<String, Integer>> path = p.allocations();
        int evals = p.evaluations();
        CodecOptions start = options.apply(finest);
        List<PathPoint> pts = new ArrayList<>();
        for (int i = 0; i < path.size(); i++) {
            PathPoint q = point(i, path.get(i), received, target, start, probe);
            evals++;
            pts.add(q);
            log.accept(String.format("update path %d/%d %s: %d bytes, accuracy %.2f%% (drop %.2f), KL %.3g", i, path.size(), path.get(i), q.bytes(),
                    100 * q.accuracy(), 100 * (reference - q.accuracy()), q.kl()));
        }
        double[] fit = fitSlope(pts, reference, maxDropPoints);
        double c = fit[0], cHi = fit[0] + MARGIN_SE * fit[1];
        double floor = floor(reference, maxDropPoints);
        int best = -1;
        for (PathPoint q : pts) // coarse to fine: the first that the fit and the measurement both keep within the bound
            if (cHi * Math.sqrt(q.kl()) <= maxDropPoints && q.accuracy() >= floor) { best = q.index(); break; }
        if (best < 0) {
            best = pts.size() - 1;
            log.accept("note: no allocation on the path is predicted within the bound; the finest is kept");
        }
        PathPoint b = pts.get(best);
        log.accept(String.format("fitted drop %.3f (upper %.3f) points per sqrt(nat) on %d points; chosen path %d: %d bytes, predicted drop %.3f, measured %.2f",
                c, cHi, (int) fit[2], best, b.bytes(), cHi * Math.sqrt(b.kl()), 100 * (reference - b.accuracy())));
        return new PathFit(new Refined(b.qps(), b.bytes(), b.accuracy(), evals), pts, c, cHi, (int) fit[2]);
    }

    /**
     * {slope, its standard error, points used} of drop (points) = c·√KL by the ratio estimator Σd/Σ√KL, refitted on
     * the points predicted within 4× {@code maxDropPoints}.
     */
    static double[] fitSlope(List<PathPoint> pts, double reference, double maxDropPoints) {
        double c = Double.NaN, se = 0;
        int used = 0;
        for (int round = 0; round < 3; round++) {
            double sd = 0, ss = 0;
            int n = 0;
            for (PathPoint q : pts) {
                double s = Math.sqrt(q.kl());
                if (!Double.isNaN(c) && c * s > 4 * maxDropPoints) continue;
                sd += 100 * (reference - q.accuracy());
                ss += s;
                n++;
            }
            if (n == 0 || ss <= 0) break;
            double cNew = Math.max(sd / ss, 0);
            double r2 = 0;
            for (PathPoint q : pts) {
                double s = Math.sqrt(q.kl());
                if (!Double.isNaN(c) && c * s > 4 * maxDropPoints) continue;
                double r = 100 * (reference - q.accuracy()) - cNew * s;
                r2 += r * r / Math.max(s, 1e-12); // residual variance ∝ √KL: weight 1/√KL
            }
            // Weighted residual variance per unit √KL, σ² = r2/(n−1); Var(c) = σ²/Σ√KL.
            se = n > 1 ? Math.sqrt(r2 / (n - 1) / ss) : 0;
            c = cNew;
            used = n;
        }
        return new double[] {c, se, used};
    }

    /**
     * The distinct allocations minimizing Σ R_l + λ·Σ KL_l over a log grid of λ (bytes per nat), coarsest (smallest
     * λ) first; each tensor's choice is independent given λ. {@code table}: per tensor, rows {bytes, KL, QP} from fine
     * to coarse; ties go to the coarser row.
     */
    static List<Map<String, Integer>> lagrangianPath(Map<String, double[][]> table) {
        List<Map<String, Integer>> path = new ArrayList<>();
        for (double lg = -2; lg <= 14; lg += 1.0 / 16) {
            double lambda = Math.pow(10, lg);
            Map<String, Integer> a = new LinkedHashMap<>();
            for (var e : table.entrySet()) {
                double[][] t = e.getValue();
                int arg = t.length - 1;
                double best = Double.POSITIVE_INFINITY;
                for (int g = t.length - 1; g >= 0; g--) {
                    double c = t[g][0] + lambda * t[g][1];
                    if (c < best) { best = c; arg = g; }
                }
                a.put(e.getKey(), (int) t[arg][2]);
            }
            if (path.isEmpty() || !path.get(path.size() - 1).equals(a)) path.add(a);
        }
        return path;
    }

    /** Weight tensors (float, rank ≥ 2, large enough to quantize) that differ between {@code received} and {@code next}, largest first. */
    static List<String> changedWeights(Model received, Model next) {
        List<String> order = new ArrayList<>();
        next.graph().initializers().forEach((k, t) -> {
            boolean weight = t.dtype() == io.nnzip.ir.DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED;
            if (weight && !t.equals(received.graph().initializer(k))) order.add(k);
        });
        order.sort((a, b) -> Integer.compare(next.graph().initializer(b).size(), next.graph().initializer(a).size()));
        return order;
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
