package io.nnzip.search;

import io.nnzip.ir.Model;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The width search's last step, where it must beat uniform pruning and not merely the predicted budget: the uniform
 * prune is calibrated to the target by measurement (by the code {@code --method uniform} runs, {@link UniformLadder}) and enters the pool first; the
 * search's best distinct genomes are each calibrated by measurement too, and join only if their measured latency meets
 * the target within 5 % and is no slower than the uniform prune's (beyond the calibration's aim of 2 %), so that
 * every finalist is compared at the same measured latency. Every finalist then gets the same fine-tune, the one the
 * output gets ({@link Tune}), and the best on the held-out split wins (the initial population's seed genomes other than
 * the uniform one join the same way after the searched ones); ties go to the uniform prune. A searched
 * genome therefore replaces the uniform prune only when it scores better after the identical fine-tune.
 */
final class EqualLatencyRound {
    private EqualLatencyRound() {}

    /** A finalist's model after the common fine-tune and its held-out score. */
    record Tuned(Model model, double fitness, double accuracy, double loss, double seconds) {}

    /** The common fine-tune and held-out scoring of a genome's prune (the output's fine-tune, the same for every finalist). */
    @FunctionalInterface
    interface Tune {
        Tuned of(double[] genes);
    }

    /**
     * {@code label}: "uniform" or "searched K" (K: its rank in the search); {@code tuned} null when it was not eligible
     * (then {@code why} says why).
     */
    record Finalist(String label, double[] genes, WidthCalibration.Result latency, Tuned tuned, String why) {
        boolean eligible() { return tuned != null; }
    }

    /** The winner and every finalist (the uniform prune first). */
    record Result(Finalist winner, List<Finalist> finalists) {
        Finalist uniform() { return finalists.getFirst(); }
    }

    /**
     * @param searched the search's genomes, best first (each repaired into the predicted budget); up to {@code k} distinct
     *                 networks after calibration join the uniform prune
     */
    /**
     * {@code table}: the uniform calibration's measurements shared with other processes ({@code --latency-table});
     * {@code seeds}: further finalists by label (the initial population's seed genomes other than the uniform one, e.g.
     * "seed front-wide"), calibrated and judged after the {@code k} searched ones unless one of those prunes to the same network.
     */
    static Result run(Encoding enc, double target, LatencyTimer timer, int runs, LatencyTable table, List<double[]> searched, int k,
                      Map<String, double[]> seeds, Tune tune, Consumer<String> log) {
        List<Finalist> pool = new ArrayList<>();
        WidthCalibration.Result u = UniformLadder.run(enc, target, timer, runs, table, log);
        Set<String> seen = new HashSet<>();
        seen.add(enc.network(u.genes()));
        pool.add(scored("uniform", u, tune, log));
        // a searched genome may be no slower than the uniform prune as measured, up to the calibration's aim
        double limit = Math.max(target, u.check()) * (1 + WidthCalibration.AIM);
        int rank = 0, taken = 0;
        for (double[] g : searched) {
            if (taken >= k) break;
            rank++;
            if (seen.contains(enc.network(g))) continue;
            WidthCalibration.Result cal = WidthCalibration.run(enc, g, target, timer, runs, true, log);
            if (!seen.add(enc.network(cal.genes()))) continue;
            taken++;
            pool.add(judged("searched " + rank, cal, limit, tune, log));
        }
        for (Map.Entry<String, double[]> e : seeds.entrySet()) {
            if (seen.contains(enc.network(e.getValue()))) continue;
            WidthCalibration.Result cal = WidthCalibration.run(enc, e.getValue(), target, timer, runs, true, log);
            if (!seen.add(enc.network(cal.genes()))) continue;
            pool.add(judged(e.getKey(), cal, limit, tune, log));
        }
        Finalist winner = pool.getFirst();
        for (Finalist f : pool) if (f.eligible() && f.tuned().fitness() > winner.tuned().fitness()) winner = f;
        log.accept("search: " + winner.label() + " wins at equal measured latency");
        return new Result(winner, pool);
    }

    /** A calibrated finalist: fine-tuned and scored when its measured latency is within 5 % and no slower than {@code limit}. */
    private static Finalist judged(String label, WidthCalibration.Result cal, double limit, Tune tune, Consumer<String> log) {
        if (!cal.within()) return new Finalist(label, cal.genes(), cal, null, String.format("measured %.4f: not within 5 %% of the target", cal.check()));
        if (cal.check() > limit) return new Finalist(label, cal.genes(), cal, null, String.format("measured %.4f: slower than %.4f (the target or the uniform prune's, + 2 %%)", cal.check(), limit));
        return scored(label, cal, tune, log);
    }

    private static Finalist scored(String label, WidthCalibration.Result cal, Tune tune, Consumer<String> log) {
        Tuned t = tune.of(cal.genes());
        log.accept(String.format("search: finalist %s  latency %.4f  held-out accuracy %.4f, loss %.4f  %.1f s", label, cal.check(), t.accuracy(), t.loss(), t.seconds()));
        return new Finalist(label, cal.genes(), cal, t, null);
    }

    static Map<String, Object> toJson(Encoding enc, Result r, double target) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("winner", r.winner().label());
        j.put("finalists", r.finalists().stream().map(f -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("label", f.label());
            x.put("keep", enc.describe(f.genes()));
            x.put("latency_check", f.latency().check());
            x.put("within_5_percent", f.latency().within());
            x.put("latency_steps", f.latency().steps().size());
            if (f.eligible()) {
                x.put("heldout_accuracy", f.tuned().accuracy());
                x.put("heldout_loss", f.tuned().loss());
                x.put("fitness", f.tuned().fitness());
                x.put("seconds", f.tuned().seconds());
            } else x.put("excluded", f.why());
            return x;
        }).toList());
        j.put("target_ratio", target);
        return j;
    }
}
