package io.nnzip.search;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Brings a chosen genome to a latency target by measurement, not prediction: its widths are scaled together
 * ({@link Encoding#scaled}, every keep ratio times s) and the candidate measured until its latency ratio is within
 * {@link #AIM} of the target (secant steps in log latency against log s, bisection once the target is bracketed).
 * The candidate kept is then measured again with three times the runs; if that check misses the target by more
 * than {@link #TOLERANCE} the check's figure replaces the earlier one and the steps continue (at most
 * {@link #MAX_STEPS} measurements in all). A network met again (rounding of channel counts) is not measured twice.
 * <p>
 * With channel counts rounded (e.g. to 16), one common scale moves every group by a rounding step at once, and the
 * latencies it can reach are far apart; a searched (per-group) genome may then move one group at a time: from the
 * closest network measured below the target one group gains a rounding step (or, from the closest above, loses
 * one; or one group gains a step while another loses one), the move the latency model predicts closest to the target is measured, and so on while measurements remain.
 * A uniform genome is never moved this way: it must stay uniform.
 * <p>
 * If nothing measured comes within {@link #TOLERANCE}, the kept network is the slowest measured one that still meets
 * the target (+ the tolerance), not a slower one closer in ratio: ONNX Runtime's latency can jump over a target as
 * channel counts cross its kernels' block sizes, and an output slower than the target does not meet it.
 */
final class WidthCalibration {
    /** The search aims at the target within 2 % so that a re-measurement (noise) stays within 5 %. */
    static final double AIM = 0.02, TOLERANCE = 0.05;
    static final int MAX_STEPS = 16;

    record Step(double scale, String keep, double measured, int runs) {}

    /** {@code check}: the final re-measurement of the kept genome (3 × runs); {@code within}: |check / target − 1| ≤ 5 %. */
    record Result(double[] genes, double measured, double check, int checkRuns, boolean within, List<Step> steps) {}

    private WidthCalibration() {}

    /** {@code perGroup}: after the common scale, groups may move one rounding step at a time (not for a uniform genome). */
    static Result run(Encoding enc, double[] genes, double target, LatencyTimer timer, int runs, boolean perGroup, Consumer<String> log) {
        Map<String, Double> byNetwork = new HashMap<>();
        Map<String, double[]> measured = new HashMap<>();
        List<Step> steps = new ArrayList<>();
        List<double[]> pts = new ArrayList<>(); // {scale, measured}
        double maxScale = 1 / java.util.Arrays.stream(genes).min().orElse(1);
        double s = 1;
        double[] kept = null;
        double keptRatio = Double.NaN;
        int measurements = 0;
        while (measurements < MAX_STEPS) {
            double[] g = enc.scaled(genes, s);
            String net = enc.network(g);
            Double r = byNetwork.get(net);
            if (r == null) {
                r = timer.ratio(enc.prune(g).model(), runs);
                measurements++;
                byNetwork.put(net, r);
                measured.put(net, g);
                steps.add(new Step(s, enc.describe(g).values().toString(), r, runs));
                log.accept(String.format("search: width scale %.4f → latency %.4f of the original (target %.4f)", s, r, target));
            }
            pts.add(new double[] {s, r});
            if (Math.abs(r / target - 1) <= AIM || kept == null || Math.abs(Math.log(r / target)) < Math.abs(Math.log(keptRatio / target))) {
                kept = g;
                keptRatio = r;
            }
            if (Math.abs(keptRatio / target - 1) <= AIM) {
                // check the kept candidate with more runs
                double check = timer.ratio(enc.prune(kept).model(), 3 * runs);
                measurements++;
                steps.add(new Step(Double.NaN, enc.describe(kept).values().toString(), check, 3 * runs));
                log.accept(String.format("search: re-measured with %d runs → latency %.4f of the original (target %.4f)", 3 * runs, check, target));
                if (Math.abs(check / target - 1) <= TOLERANCE) return new Result(kept, keptRatio, check, 3 * runs, true, steps);
                // the check is the better figure: take it for that network and go on searching
                byNetwork.put(enc.network(kept), check);
                for (double[] p : pts) if (enc.network(enc.scaled(genes, p[0])).equals(enc.network(kept))) p[1] = check;
                keptRatio = check;
            }
            double next = propose(pts, target, maxScale);
            if (next >= 0 && bracket(pts, target)[0] == null ^ bracket(pts, target)[1] == null) {
                // no bracket yet: a step that rounds to a measured network is taken further until the channel counts change
                double last = pts.getLast()[0];
                for (int k = 2; k <= 16 && byNetwork.containsKey(enc.network(enc.scaled(genes, next))); k++)
                    next = Math.clamp(last * Math.pow(next / last, k / (double) (k - 1)), 1e-3, maxScale);
            }
            if (next < 0 || byNetwork.containsKey(enc.network(enc.scaled(genes, next)))) {
                double b = bisect(pts, target);
                if (b < 0 || byNetwork.containsKey(enc.network(enc.scaled(genes, b)))) break; // the widths cannot get closer
                next = b;
            }
            s = next;
        }
        if (perGroup && !enc.filters() && Math.abs(keptRatio / target - 1) > AIM) {
            Map<String, double[]> genomes = new HashMap<>();
            genomes.put(enc.network(genes), genes);
            for (double[] p : pts) genomes.put(enc.network(enc.scaled(genes, p[0])), enc.scaled(genes, p[0]));
            while (measurements < MAX_STEPS - 1) {
                double[] move = bestMove(enc, genomes, byNetwork, target);
                if (move == null) break;
                String net = enc.network(move);
                double r = timer.ratio(enc.prune(move).model(), runs);
                measurements++;
                byNetwork.put(net, r);
                measured.put(net, move);
                genomes.put(net, move);
                steps.add(new Step(Double.NaN, enc.describe(move).values().toString(), r, runs));
                log.accept(String.format("search: one group moved %s → latency %.4f of the original (target %.4f)", enc.describe(move).values(), r, target));
                if (Math.abs(Math.log(r / target)) < Math.abs(Math.log(keptRatio / target))) {
                    kept = move;
                    keptRatio = r;
                }
                if (Math.abs(keptRatio / target - 1) <= AIM) break;
            }
        }
        if (keptRatio > target * (1 + TOLERANCE)) {
            // a latency target is a bound: when nothing measured came within the tolerance, a network that meets it
            // (the slowest of those measured) is kept rather than a slower one that happens to be closer in ratio
            String meets = null;
            for (String net : measured.keySet()) {
                double r = byNetwork.get(net);
                if (r <= target * (1 + TOLERANCE) && (meets == null || r > byNetwork.get(meets))) meets = net;
            }
            if (meets != null) {
                kept = measured.get(meets);
                keptRatio = byNetwork.get(meets);
            }
        }
        double check = timer.ratio(enc.prune(kept).model(), 3 * runs);
        steps.add(new Step(Double.NaN, enc.describe(kept).values().toString(), check, 3 * runs));
        return new Result(kept, keptRatio, check, 3 * runs, Math.abs(check / target - 1) <= TOLERANCE, steps);
    }

    /**
     * The unmeasured one-group move predicted closest to the target: from the measured network closest below it, one
     * group gains one rounding step; from the closest above, one loses one. The prediction is the measured ratio of the
     * network moved from times the latency model's ratio of the two networks. Null: no move predicted closer than the
     * networks already measured.
     */
    private static double[] bestMove(Encoding enc, Map<String, double[]> genomes, Map<String, Double> byNetwork, double target) {
        String below = null, above = null;
        for (Map.Entry<String, Double> e : byNetwork.entrySet()) {
            if (!genomes.containsKey(e.getKey())) continue;
            double r = e.getValue();
            if (r <= target && (below == null || r > byNetwork.get(below))) below = e.getKey();
            if (r > target && (above == null || r < byNetwork.get(above))) above = e.getKey();
        }
        double bestMeasured = Double.POSITIVE_INFINITY;
        for (String n : new String[] {below, above}) if (n != null) bestMeasured = Math.min(bestMeasured, Math.abs(Math.log(byNetwork.get(n) / target)));
        double[] best = null;
        double bestGap = bestMeasured;
        for (String from : new String[] {below, above}) {
            if (from == null) continue;
            double[] g0 = genomes.get(from);
            double r0 = byNetwork.get(from), c0 = enc.cost(g0);
            int dir = from.equals(below) ? 1 : -1;
            List<double[]> moves = new ArrayList<>();
            for (int i = 0; i < g0.length; i++) {
                double[] g = oneStep(enc, g0, i, dir);
                if (g == null) continue;
                moves.add(g);
                // or a trade: that group's step, and another group's step the other way
                for (int j = 0; j < g0.length; j++) {
                    double[] t = j == i ? null : oneStep(enc, g, j, -dir);
                    if (t != null) moves.add(t);
                }
            }
            for (double[] g : moves) {
                if (byNetwork.containsKey(enc.network(g))) continue;
                double gap = Math.abs(Math.log(r0 * enc.cost(g) / c0 / target));
                if (gap < bestGap) {
                    bestGap = gap;
                    best = g;
                }
            }
        }
        return best;
    }

    /** Group i's keep ratio moved by the smallest amount that changes its channel count in direction {@code dir}; null at the bound. */
    private static double[] oneStep(Encoding enc, double[] g0, int i, int dir) {
        String net = enc.network(g0);
        double step = Math.max(1, enc.roundTo) / (double) enc.groups.get(i).prunable().size();
        for (int k = 1; k <= 4; k++) {
            double[] g = g0.clone();
            g[i] = Math.clamp(g0[i] + dir * k * step, enc.minKeep, 1);
            if (g[i] == g0[i]) return null;
            if (!enc.network(g).equals(net)) return g;
        }
        return null;
    }

    /** The closest scales below and above the target ({@code lo}: largest scale measured faster than the target; {@code hi}: smallest slower). */
    private static double[][] bracket(List<double[]> pts, double target) {
        double[] lo = null, hi = null;
        for (double[] p : pts) {
            if (p[1] <= target && (lo == null || p[0] > lo[0])) lo = p;
            if (p[1] > target && (hi == null || p[0] < hi[0])) hi = p;
        }
        return new double[][] {lo, hi};
    }

    /** Secant in log–log between the bracket's ends, or from the last point with latency ∝ s^1.5 before a bracket exists. */
    static double propose(List<double[]> pts, double target, double maxScale) {
        double[][] b = bracket(pts, target);
        double[] lo = b[0], hi = b[1];
        if (lo != null && hi != null && hi[0] > lo[0] && hi[1] > lo[1]) {
            double t = (Math.log(target) - Math.log(lo[1])) / (Math.log(hi[1]) - Math.log(lo[1]));
            return Math.exp(Math.log(lo[0]) + t * (Math.log(hi[0]) - Math.log(lo[0])));
        }
        if (lo != null && hi != null) return -1;
        double[] last = pts.getLast();
        double s = last[0] * Math.pow(target / last[1], 1 / 1.5);
        return Math.min(s, maxScale);
    }

    private static double bisect(List<double[]> pts, double target) {
        double[][] b = bracket(pts, target);
        if (b[0] == null || b[1] == null || b[1][0] - b[0][0] < 1e-4) return -1;
        return (b[0][0] + b[1][0]) / 2;
    }

    static Map<String, Object> toJson(Result r, double target) {
        Map<String, Object> j = new java.util.LinkedHashMap<>();
        j.put("target_ratio", target);
        j.put("measured_ratio", r.measured());
        j.put("check_ratio", r.check());
        j.put("check_runs", r.checkRuns());
        j.put("within_5_percent", r.within());
        j.put("steps", r.steps().stream().map(s -> {
            Map<String, Object> x = new java.util.LinkedHashMap<>();
            x.put("scale", Double.isNaN(s.scale()) ? "check" : s.scale());
            x.put("keep", s.keep());
            x.put("measured", s.measured());
            x.put("runs", s.runs());
            return x;
        }).toList());
        return j;
    }
}
