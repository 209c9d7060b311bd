package io.nnzip.search;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report parts every population search writes: one individual, the wall time per evaluation, and the best of each
 * generation. {@code accuracyKey}/{@code lossKey} name what the search's two scores mean (a classifier's held-out
 * accuracy and loss; a generator's share of fooled discriminators and its distance to the original).
 */
final class SearchJson {
    private SearchJson() {}

    static Map<String, Object> individual(Encoding enc, GeneticSearch.Individual b, String accuracyKey, String lossKey) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("fitness", b.fitness());
        j.put(accuracyKey, b.accuracy());
        j.put(lossKey, b.loss());
        j.put("cost", b.cost());
        j.put("keep", enc.describe(b.genes()));
        return j;
    }

    static Map<String, Object> secondsPerEvaluation(List<List<GeneticSearch.Individual>> history) {
        double[] all = history.stream().flatMap(List::stream).mapToDouble(GeneticSearch.Individual::seconds).toArray();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("mean", java.util.Arrays.stream(all).average().orElse(0));
        j.put("min", java.util.Arrays.stream(all).min().orElse(0));
        j.put("max", java.util.Arrays.stream(all).max().orElse(0));
        return j;
    }

    /** {@code extra}: more entries for generation g (may add none). */
    static List<Map<String, Object>> generations(List<List<GeneticSearch.Individual>> history, String accuracyKey, String lossKey,
            java.util.function.BiConsumer<Integer, Map<String, Object>> extra) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int g = 0; g < history.size(); g++) {
            List<GeneticSearch.Individual> gen = history.get(g);
            GeneticSearch.Individual best = GeneticSearch.ranked(gen).getFirst();
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("generation", g);
            j.put("best_fitness", best.fitness());
            j.put("best_" + accuracyKey, best.accuracy());
            j.put("best_" + lossKey, best.loss());
            j.put("best_cost", best.cost());
            j.put("mean_fitness", gen.stream().mapToDouble(GeneticSearch.Individual::fitness).average().orElse(0));
            extra.accept(g, j);
            j.put("seconds", gen.stream().map(GeneticSearch.Individual::seconds).toList());
            out.add(j);
        }
        return out;
    }
}
