package io.nnzip.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.ir.NnzipException;
import io.nnzip.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The search's state after a generation, as JSON written atomically (a kill mid-write leaves the previous
 * generation's file): every generation's individuals with their fitness, cost and wall time, and the generation
 * to run next. Resuming checks that the file belongs to the same search (seed, encoding, genome length, budget).
 */
record Checkpoint(Path file) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Version 2 added each individual's accuracy and loss and the ranking; a version-1 file cannot be continued. */
    static final int VERSION = 2;

    record State(int nextGeneration, List<GeneticSearch.Individual> population, List<List<GeneticSearch.Individual>> history) {}

    void write(SearchConfig c, int length, int nextGeneration, List<GeneticSearch.Individual> pop, List<List<GeneticSearch.Individual>> history) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("nnzip_search_checkpoint", VERSION);
        j.put("identity", identity(c, length));
        j.put("next_generation", nextGeneration);
        List<Object> gens = new ArrayList<>();
        for (List<GeneticSearch.Individual> g : history) gens.add(g.stream().map(Checkpoint::toJson).toList());
        j.put("generations", gens);
        try {
            AtomicFiles.write(file, JSON.writeValueAsBytes(j));
        } catch (IOException e) {
            throw new NnzipException("cannot write checkpoint " + file + ": " + e.getMessage());
        }
    }

    /** The saved state, or null when there is no file yet (a first run with --resume starts over). */
    @SuppressWarnings("unchecked")
    State read(SearchConfig c, int length) {
        if (!Files.exists(file)) return null;
        Map<String, Object> j;
        try {
            j = JSON.readValue(file.toFile(), Map.class);
        } catch (IOException e) {
            throw new NnzipException("cannot read checkpoint " + file + ": " + e.getMessage());
        }
        if (!(j.get("nnzip_search_checkpoint") instanceof Number v)) throw new NnzipException(file + " is not an nnzip search checkpoint");
        if (v.intValue() != VERSION)
            throw new NnzipException("checkpoint " + file + " is version " + v + " of the search's format, this nnzip reads version " + VERSION
                    + ": run without --resume (or remove the file) to start over");
        if (!identity(c, length).equals(j.get("identity")))
            throw new NnzipException("checkpoint " + file + " belongs to another search (" + j.get("identity") + "), not " + identity(c, length));
        List<List<GeneticSearch.Individual>> history = new ArrayList<>();
        for (List<Map<String, Object>> g : (List<List<Map<String, Object>>>) j.get("generations"))
            history.add(g.stream().map(Checkpoint::fromJson).toList());
        return new State(((Number) j.get("next_generation")).intValue(), history.getLast(), history);
    }

    /** What must match for a checkpoint to continue this search (not the generation count: a search may be extended). */
    static String identity(SearchConfig c, int length) {
        return String.format("seed=%d encoding=%s genes=%d target_macs=%s population=%d elitism=%d mutation=%s crossover=%s min_keep=%s holdout=%d fitness_images=%d lr=%s rank_by=%s round_to=%d novelty_tries=%d",
                c.seed(), c.encoding(), length, c.targetMacs(), c.population(), c.elitism(), c.mutation(), c.crossover(), c.minKeep(), c.holdout(), c.fitnessImages(), c.lr(), c.rankBy(), c.roundTo(), c.noveltyTries());
    }

    private static Map<String, Object> toJson(GeneticSearch.Individual i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("genes", i.genes());
        m.put("fitness", i.fitness());
        m.put("accuracy", i.accuracy());
        m.put("loss", i.loss());
        m.put("cost", i.cost());
        m.put("seconds", i.seconds());
        return m;
    }

    @SuppressWarnings("unchecked")
    private static GeneticSearch.Individual fromJson(Map<String, Object> m) {
        double[] g = ((List<Number>) m.get("genes")).stream().mapToDouble(Number::doubleValue).toArray();
        return new GeneticSearch.Individual(g, num(m, "fitness"), num(m, "accuracy"), num(m, "loss"), num(m, "cost"), num(m, "seconds"));
    }

    private static double num(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n)) throw new NnzipException("checkpoint individual lacks '" + key + "'");
        return n.doubleValue();
    }
}
