package io.nnzip.search;

import io.nnzip.ir.Model;
import io.nnzip.prune.StructuredPruner;
import io.nnzip.prune.criteria.Criteria;
import io.nnzip.prune.dep.CoupledGroups;
import io.nnzip.prune.report.LayerCosts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How a genome becomes a structured prune. {@code ratios}: one gene per prunable coupled group, the share of its
 * channels kept (which ones: the largest L1 norms). {@code filters}: one 0/1 gene per prunable channel (coupled
 * component). Either way the dependency-graph pruner ({@link StructuredPruner}) removes the channels, so every
 * coupled tensor shrinks together. {@link #repair} shrinks a genome until it fits the MAC budget.
 */
final class Encoding {
    final String kind;
    final StructuredPruner.Analysis analysis;
    final List<CoupledGroups.Group> groups;
    final double[] l1;
    final long baseMacs;
    final double minKeep;
    final int roundTo;

    Encoding(Model m, String kind, double minKeep, int roundTo) {
        this.kind = kind;
        this.analysis = StructuredPruner.Analysis.of(m);
        this.groups = analysis.prunableGroups();
        this.l1 = Criteria.of("l1-filter", 0, null).score(analysis.deps(), analysis.groups());
        this.baseMacs = LayerCosts.totalMacs(m, 1);
        this.minKeep = minKeep;
        this.roundTo = roundTo;
    }

    boolean filters() { return kind.equals("filters"); }

    int length() { return filters() ? groups.stream().mapToInt(g -> g.prunable().size()).sum() : groups.size(); }

    /** The genome that keeps everything. */
    double[] full() {
        double[] g = new double[length()];
        Arrays.fill(g, 1);
        return g;
    }

    /**
     * The front-wide genome (ratios encoding): the first quarter of the coupled groups (rounded up, in graph order) keep
     * everything, the later groups with more channels than the median group (on the MobileNetV2-style graph: the
     * 128-channel expansions and the 192-channel one) keep 0.5, every other later group 0.75. A seed for the initial population, shaped as the searches that
     * beat the uniform prune on the MobileNetV2-style graph were (BENCHMARKS.md, issue 17, sessions 16–17: the first
     * groups at 0.85–0.91, the 128-channel expansions at 0.35–0.49); repair then scales it into the budget.
     */
    double[] frontWide() {
        int n = groups.size();
        int[] size = groups.stream().mapToInt(g -> g.prunable().size()).toArray();
        int[] sorted = size.clone();
        Arrays.sort(sorted);
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
        int front = (n + 3) / 4;
        double[] g = new double[n];
        for (int i = 0; i < n; i++) g[i] = i < front ? 1 : size[i] > median ? Math.max(minKeep, 0.5) : Math.max(minKeep, 0.75);
        return g;
    }

    /** A random genome: keep ratios in [minKeep, 1], or channels kept with a per-group probability in [minKeep, 1]. */
    double[] random(SplittableRandom r) {
        double[] g = new double[length()];
        if (!filters()) {
            for (int i = 0; i < g.length; i++) g[i] = minKeep + (1 - minKeep) * r.nextDouble();
            return g;
        }
        int at = 0;
        for (CoupledGroups.Group grp : groups) {
            double p = minKeep + (1 - minKeep) * r.nextDouble();
            for (int i = 0; i < grp.prunable().size(); i++) g[at++] = r.nextDouble() < p ? 1 : 0;
        }
        return g;
    }

    /** Mutation: each gene with probability {@code rate} moves by N(0, 0.15) (ratios) or flips (filters). */
    double[] mutate(double[] genes, double rate, SplittableRandom r) {
        double[] g = genes.clone();
        for (int i = 0; i < g.length; i++) {
            if (r.nextDouble() >= rate) continue;
            g[i] = filters() ? 1 - g[i] : Math.clamp(g[i] + 0.15 * gaussian(r), minKeep, 1);
        }
        return g;
    }

    static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** The structured prune a genome stands for. */
    StructuredPruner.Result prune(double[] genes) {
        Map<Integer, Double> amounts = new LinkedHashMap<>();
        double[] score = l1;
        if (!filters()) {
            for (int i = 0; i < groups.size(); i++) amounts.put(groups.get(i).id(), 1 - genes[i]);
        } else {
            // kept channels outrank removed ones whatever their norm; inside each class the norm orders them
            score = new double[l1.length];
            double max = Arrays.stream(l1).max().orElse(1) + 1e-12;
            int at = 0;
            for (CoupledGroups.Group grp : groups) {
                List<CoupledGroups.Component> cs = grp.prunable();
                int kept = 0;
                for (CoupledGroups.Component c : cs) {
                    boolean keep = genes[at++] >= 0.5;
                    score[c.id()] = (keep ? 1 : 0) + 0.5 * l1[c.id()] / max;
                    if (keep) kept++;
                }
                amounts.put(grp.id(), 1 - Math.max(1, kept) / (double) cs.size());
            }
        }
        return StructuredPruner.prune(analysis, score, 0, "layer", amounts, roundTo);
    }

    /** A genome's cost and the network it stands for (the channels its prune removes from each tensor). */
    private record Pruned(double cost, String network) {}

    private final Map<String, Pruned> pruned = new java.util.HashMap<>();

    /** The cost of a pruned network; null: the share of the original MACs it keeps. */
    private java.util.function.ToDoubleFunction<Model> costFn;

    /** Costs networks by {@code f} from now on (e.g. a latency model's predicted ratio) instead of their MACs. */
    void costBy(java.util.function.ToDoubleFunction<Model> f) {
        costFn = f;
        pruned.clear();
    }

    private Pruned pruned(double[] genes) {
        // remembered: repair asks again for the same genomes, and the search for their networks
        return pruned.computeIfAbsent(Arrays.toString(genes), k -> {
            StructuredPruner.Result r = prune(genes);
            StringBuilder net = new StringBuilder();
            new java.util.TreeMap<>(r.plan().removedTensors).forEach((t, idx) -> net.append(t).append(Arrays.toString(idx)).append(';'));
            double cost = costFn != null ? costFn.applyAsDouble(r.model()) : LayerCosts.totalMacs(r.model(), 1) / (double) Math.max(1, baseMacs);
            return new Pruned(cost, net.toString());
        });
    }

    /** Share of the original MACs the genome's prune keeps (or the cost {@link #costBy} set). */
    double cost(double[] genes) { return pruned(genes).cost(); }

    /**
     * What identifies the network a genome prunes to: different keep ratios that round to the same channel counts
     * (or filter genes naming the same channels) are the same network, with the same fitness.
     */
    String network(double[] genes) { return pruned(genes).network(); }

    /** The genome scaled by {@code s}: every keep ratio (or every group's kept-channel count, dropping the smallest norms) times s. */
    double[] scaled(double[] genes, double s) {
        double[] g = genes.clone();
        if (!filters()) {
            for (int i = 0; i < g.length; i++) g[i] = Math.clamp(genes[i] * s, minKeep, 1);
            return g;
        }
        if (s >= 1) return g;
        int at = 0;
        for (CoupledGroups.Group grp : groups) {
            List<CoupledGroups.Component> cs = grp.prunable();
            List<Integer> kept = new ArrayList<>();
            for (int i = 0; i < cs.size(); i++) if (genes[at + i] >= 0.5) kept.add(i);
            int k = Math.max((int) Math.ceil(minKeep * cs.size()), (int) Math.ceil(kept.size() * s));
            k = Math.min(k, kept.size());
            int base = at;
            kept.sort(Comparator.comparingDouble((Integer i) -> -l1[cs.get(i).id()]));
            for (int j = k; j < kept.size(); j++) g[base + kept.get(j)] = 0;
            at += cs.size();
        }
        return g;
    }

    /**
     * The genome shrunk uniformly (the largest scale found by bisection) until its prune keeps at most {@code target}
     * of the MACs; a keep-ratio genome under the budget is grown towards it. Returns the repaired genome and its cost.
     */
    Repaired repair(double[] genes, double target) {
        double c = cost(genes);
        if (c > target) return bisect(genes, 0, 1, target, new Repaired(scaled(genes, 0), cost(scaled(genes, 0))));
        if (filters()) return new Repaired(genes, c);
        // a candidate that leaves MACs unused is compared at another cost and wastes an evaluation: grow it to the budget
        return bisect(genes, 1, 1 / Math.max(minKeep, Arrays.stream(genes).min().orElse(1)), target, new Repaired(genes, c));
    }

    /** The genome at the largest scale in [lo, hi] (8 bisection steps) whose cost stays within the target; {@code fallback} at lo. */
    private Repaired bisect(double[] genes, double lo, double hi, double target, Repaired fallback) {
        Repaired best = fallback;
        for (int it = 0; it < 8 && hi > lo; it++) {
            double mid = (lo + hi) / 2;
            double[] g = scaled(genes, mid);
            double cm = cost(g);
            if (cm <= target) {
                lo = mid;
                best = new Repaired(g, cm);
            } else hi = mid;
        }
        return best;
    }

    record Repaired(double[] genes, double cost) {}

    /** Per-group keep shares of a genome, for the report. */
    Map<String, Double> describe(double[] genes) {
        Map<String, Double> out = new LinkedHashMap<>();
        int at = 0;
        for (int i = 0; i < groups.size(); i++) {
            CoupledGroups.Group grp = groups.get(i);
            if (!filters()) out.put(grp.label(), Math.round(genes[i] * 1000) / 1000.0);
            else {
                int n = grp.prunable().size(), kept = 0;
                for (int j = 0; j < n; j++) if (genes[at + j] >= 0.5) kept++;
                at += n;
                out.put(grp.label(), Math.round(1000.0 * kept / n) / 1000.0);
            }
        }
        return out;
    }
}
