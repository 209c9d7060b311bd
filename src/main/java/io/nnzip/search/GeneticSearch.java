package io.nnzip.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The genetic algorithm: an initial population (seed genomes, by default the uniform prune and the sensitivity table's
 * per-group amounts, then random genomes), then per generation the
 * elites unchanged and children from tournament-selected parents by uniform crossover and mutation, every genome
 * repaired into the MAC budget before it is evaluated; a child whose network was already evaluated is mutated
 * again (up to {@code novelty_tries} times) so that each generation explores. Each generation draws from its own
 * seeded generator, and the population is checkpointed after each one, so a resumed search continues exactly as an
 * unbroken one would.
 */
final class GeneticSearch {
    /**
     * An evaluated genome (already within the budget): {@code fitness} is what the search ranks by (higher is better:
     * the held-out accuracy, or minus the held-out cross-entropy), accuracy and loss as measured.
     */
    record Individual(double[] genes, double fitness, double accuracy, double loss, double cost, double seconds) {}

    /** Evaluates a repaired genome: fitness, cost and wall time. */
    @FunctionalInterface
    interface Evaluate {
        Individual of(double[] genes, double cost);
    }

    /** {@code shared}: genomes met again after repair that reused an earlier evaluation instead of a new one. */
    record Outcome(Individual best, List<List<Individual>> history, int evaluations, int shared, boolean resumed) {}

    private final SearchConfig c;
    private final Encoding enc;
    private final Evaluate eval;
    private final Checkpoint checkpoint;
    private final Consumer<String> log;
    private final Map<String, Individual> cache = new HashMap<>();
    private final List<double[]> seeds;
    private int evaluations, shared;
    /** The budget genomes are repaired into, in the encoding's cost units: --target-macs, or a latency ratio. */
    private double target;

    GeneticSearch(SearchConfig c, Encoding enc, Evaluate eval, Checkpoint checkpoint, Consumer<String> log) {
        this(c, enc, eval, checkpoint, log, null);
    }

    /**
     * {@code seeds}: the genomes the initial population starts from (each repaired into the budget), random genomes
     * after them; null: the uniform prune ({@link Encoding#full} repaired) only.
     */
    GeneticSearch(SearchConfig c, Encoding enc, Evaluate eval, Checkpoint checkpoint, Consumer<String> log, List<double[]> seeds) {
        this.seeds = seeds == null ? List.of(enc.full()) : seeds;
        this.c = c;
        this.enc = enc;
        this.eval = eval;
        this.checkpoint = checkpoint;
        this.log = log;
        this.target = c.targetMacs();
    }

    /**
     * Called with each generation once its population is evaluated (generation 0 included), before it is
     * checkpointed; a resumed search first calls it again for every saved generation in order, so whatever it updates
     * (co-evolution's discriminators) is rebuilt exactly as an unbroken run had it.
     */
    GeneticSearch onGeneration(java.util.function.BiConsumer<Integer, List<Individual>> hook) {
        this.onGeneration = hook;
        return this;
    }

    private java.util.function.BiConsumer<Integer, List<Individual>> onGeneration = (g, p) -> {};

    /**
     * Scores the parents again just before they are ranked for selection (co-evolution: against the discriminators as
     * they are now, not as they were when each was first evaluated), and likewise a child that shares an earlier
     * evaluation; the history keeps each generation's scores as they were when it was formed.
     */
    GeneticSearch rescoreParents(java.util.function.UnaryOperator<List<Individual>> f) {
        this.rescore = f;
        return this;
    }

    private java.util.function.UnaryOperator<List<Individual>> rescore = p -> p;

    /** Repairs genomes into this budget instead of --target-macs (the encoding's cost, e.g. a predicted latency ratio). */
    GeneticSearch target(double t) {
        this.target = t;
        return this;
    }

    Outcome run() {
        List<List<Individual>> history = new ArrayList<>();
        List<Individual> pop;
        int start;
        Checkpoint.State saved = c.resume() ? checkpoint.read(c, enc.length()) : null;
        if (saved != null) {
            history.addAll(saved.history());
            pop = saved.population();
            start = saved.nextGeneration();
            for (List<Individual> gen : history) for (Individual i : gen) cache.putIfAbsent(enc.network(i.genes()), i);
            for (int g = 0; g < history.size(); g++) onGeneration.accept(g, history.get(g));
            log.accept("search: resumed at generation " + start + " of " + c.generations() + " from " + c.checkpoint());
        } else {
            SplittableRandom r = rng(0);
            pop = new ArrayList<>();
            for (double[] s : seeds) if (pop.size() < c.population()) pop.add(evaluate(s));
            while (pop.size() < c.population()) pop.add(evaluate(enc.random(r)));
            history.add(pop);
            report(0, pop);
            onGeneration.accept(0, pop);
            start = 1;
            if (checkpoint != null) checkpoint.write(c, enc.length(), 1, pop, history);
        }
        for (int gen = start; gen <= c.generations(); gen++) {
            SplittableRandom r = rng(gen);
            List<Individual> ranked = ranked(rescore.apply(pop));
            List<Individual> next = new ArrayList<>(ranked.subList(0, c.elitism()));
            while (next.size() < c.population()) {
                Individual a = tournament(ranked, r), b = tournament(ranked, r);
                double[] child = r.nextDouble() < c.crossover() ? crossover(a.genes(), b.genes(), r) : a.genes().clone();
                double[] g = enc.mutate(child, c.mutation(), r);
                // a child that prunes to a network already evaluated teaches the search nothing: mutate it again
                for (int t = 0; t < c.noveltyTries() && known(g); t++) g = enc.mutate(g, Math.max(c.mutation(), 1.0 / g.length), r);
                next.add(evaluate(g));
            }
            pop = next;
            history.add(pop);
            report(gen, pop);
            onGeneration.accept(gen, pop);
            if (checkpoint != null) checkpoint.write(c, enc.length(), gen + 1, pop, history);
        }
        Individual best = history.stream().flatMap(List::stream).min(ORDER).orElseThrow();
        return new Outcome(best, history, evaluations, shared, saved != null);
    }

    /** Best first: higher fitness, then lower cost. */
    static final Comparator<Individual> ORDER = Comparator.comparingDouble((Individual i) -> -i.fitness()).thenComparingDouble(Individual::cost);

    static List<Individual> ranked(List<Individual> pop) {
        List<Individual> r = new ArrayList<>(pop);
        r.sort(ORDER);
        return r;
    }

    private SplittableRandom rng(int generation) { return new SplittableRandom(c.seed() * 0x9E3779B97F4A7C15L + generation); }

    /**
     * The repaired genome's evaluation. A genome that prunes to a network already evaluated (the same genome, or
     * keep ratios rounding to the same channels) shares that evaluation: a fitness is deterministic for a network
     * and seed, and evaluation is the cost of the search. The genome keeps its own genes.
     */
    Individual evaluate(double[] genes) {
        Encoding.Repaired rep = enc.repair(genes, target);
        String net = enc.network(rep.genes());
        Individual known = cache.get(net);
        if (known != null) {
            shared++;
            // a remembered score is re-scored when scores move between generations (co-evolution)
            known = rescore.apply(List.of(known)).getFirst();
            return Arrays.equals(known.genes(), rep.genes()) ? known
                    : new Individual(rep.genes(), known.fitness(), known.accuracy(), known.loss(), known.cost(), known.seconds());
        }
        evaluations++;
        Individual i = eval.of(rep.genes(), rep.cost());
        cache.put(net, i);
        return i;
    }

    /** Whether the repaired genome prunes to a network already evaluated. */
    boolean known(double[] genes) { return cache.containsKey(enc.network(enc.repair(genes, target).genes())); }

    int evaluations() { return evaluations; }

    int shared() { return shared; }

    private static Individual tournament(List<Individual> ranked, SplittableRandom r) {
        // ranked is sorted best first, so the smallest of three random ranks wins
        int best = ranked.size();
        for (int i = 0; i < 3; i++) best = Math.min(best, r.nextInt(ranked.size()));
        return ranked.get(best);
    }

    private static double[] crossover(double[] a, double[] b, SplittableRandom r) {
        double[] g = new double[a.length];
        for (int i = 0; i < g.length; i++) g[i] = r.nextBoolean() ? a[i] : b[i];
        return g;
    }

    private void report(int gen, List<Individual> pop) {
        Individual best = ranked(pop).getFirst();
        double mean = pop.stream().mapToDouble(Individual::fitness).average().orElse(0);
        double secs = pop.stream().mapToDouble(Individual::seconds).average().orElse(0);
        log.accept(String.format("search: generation %d/%d  best %.4f (accuracy %.4f, loss %.4f, cost %.3f)  mean %.4f  %.1f s per evaluation  %d evaluations so far, %d shared",
                gen, c.generations(), best.fitness(), best.accuracy(), best.loss(), best.cost(), mean, secs, evaluations, shared));
    }
}
