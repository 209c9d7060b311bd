package io.nnzip.search;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The search's last step against its own noise: the best of many noisy fitness values is biased upwards (the
 * winner's curse), so the {@code k} best distinct genomes of the last generation are scored again by a larger,
 * independent measurement (in {@link SearchPass}: a fine-tune on every training image outside the held-out split
 * instead of a small slice of them, or the output's own fine-tune, over one or more seeds) and the best of those rescored
 * wins. {@code k ≤ 1} keeps the search's own best.
 */
final class FinalRound {
    private FinalRound() {}

    /** The winner and the rescored candidates in the order they were ranked by the search (empty when k ≤ 1). */
    record Result(GeneticSearch.Individual winner, List<GeneticSearch.Individual> rescored) {}

    /**
     * @param network what identifies the network a genome prunes to (genomes of one network are rescored once)
     * @param alsoJudged finalists beyond the k (the initial population's seeds), each rescored unless one of the k
     *                   prunes to the same network
     */
    static Result run(List<GeneticSearch.Individual> lastGeneration, GeneticSearch.Individual searchBest, int k,
                      List<GeneticSearch.Individual> alsoJudged, Function<double[], String> network,
                      GeneticSearch.Evaluate rescore, Consumer<String> log) {
        if (k <= 1) return new Result(searchBest, List.of());
        List<GeneticSearch.Individual> candidates = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (GeneticSearch.Individual i : GeneticSearch.ranked(lastGeneration))
            if (candidates.size() < k && seen.add(network.apply(i.genes()))) candidates.add(i);
        for (GeneticSearch.Individual i : alsoJudged) if (seen.add(network.apply(i.genes()))) candidates.add(i);
        List<GeneticSearch.Individual> rescored = new ArrayList<>();
        for (GeneticSearch.Individual i : candidates) {
            GeneticSearch.Individual r = rescore.of(i.genes(), i.cost());
            log.accept(String.format("search: final round %d/%d  fitness %.4f -> %.4f (accuracy %.4f, loss %.4f, MACs kept %.3f)  %.1f s",
                    rescored.size() + 1, candidates.size(), i.fitness(), r.fitness(), r.accuracy(), r.loss(), r.cost(), r.seconds()));
            rescored.add(r);
        }
        // ties go to the candidate the search ranked higher (the list is in that order and min keeps the first)
        GeneticSearch.Individual winner = rescored.stream().min(GeneticSearch.ORDER).orElseThrow();
        return new Result(winner, rescored);
    }
}
