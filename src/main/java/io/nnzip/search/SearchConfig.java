package io.nnzip.search;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.pass.Configs;
import io.nnzip.pass.Pass;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Setting;
import java.util.List;
import java.util.Map;

/**
 * The search pass: a genetic algorithm over which channels a structured prune keeps, every option recorded in the
 * output's provenance ({@code nnzip.search}). {@link #run} is {@link SearchPass#run}.
 */
public record SearchConfig(
        @Setting(value = "ga: genetic algorithm over channel masks under a MAC budget; width-search: the same search over per-group widths "
                + "under a latency target measured in ONNX Runtime (a latency model fitted to measured candidate graphs ranks and repairs "
                + "genomes, the chosen widths are then scaled until their measured latency meets the target); uniform: no search, every "
                + "group the same keep ratio (channels by L1 norm) meeting the MAC or measured latency target; evolution-ccg: co-evolutionary "
                + "compression of a generator (noise input (N, nz)): per-group keep ratios evolved against an evolving population of "
                + "discriminators, fitness = distillation error to the original generator plus the share of discriminators not fooled", dflt = "ga") String method,
        @Setting(value = "fraction of the original MACs the result may keep", dflt = "0.4") double targetMacs,
        @Setting(value = "fraction of the original's ONNX Runtime latency the result may take (0: no latency target)", dflt = "0") double targetLatency,
        @Setting(value = "ONNX Runtime latency in milliseconds the result may take, at latency_batch and the context's threads (0: none)", dflt = "0") double targetLatencyMs,
        @Setting(value = "batch of the ONNX Runtime latency measurements", dflt = "32") int latencyBatch,
        @Setting(value = "alternated timed runs per latency measurement (the final check takes three times as many)", dflt = "20") int latencyRuns,
        @Setting(value = "wall: each timed run by the wall clock; cpu: by the calling thread's CPU time (needs threads 1: ONNX Runtime then "
                + "computes on that thread; other processes cannot inflate it, the figure to trust on a loaded machine)", dflt = "wall") String latencyClock,
        @Setting("a text file of measured latency ratios of uniform prunes, read before the uniform calibration and appended to: "
                + "a uniform or width-search run given the file another wrote keeps the same uniform prune (null: none)") String latencyTable,
        @Setting(value = "random-width candidate graphs measured to fit the latency model (plus 3 uniform ones)", dflt = "16") int latencySamples,
        @Setting(value = "ratios: one keep ratio per coupled group (channels chosen by L1 norm inside it; for large models); "
                + "filters: one 0/1 gene per prunable channel", dflt = "ratios") String encoding,
        @Setting(value = "individuals per generation", dflt = "12") int population,
        @Setting(value = "generations after the initial population", dflt = "6") int generations,
        @Setting(value = "per-gene mutation probability", dflt = "0.2") double mutation,
        @Setting(value = "probability that a child mixes two parents (uniform crossover) instead of copying one", dflt = "0.7") double crossover,
        @Setting(value = "best individuals copied unchanged into the next generation", dflt = "2") int elitism,
        @Setting(value = "seed of the search (initial population, selection, mutation) and of every fitness evaluation", dflt = "1") long seed,
        @Setting(value = "training images held out as the fitness split (never the test split)", dflt = "2000") int holdout,
        @Setting(value = "training images (outside the held-out split) each candidate is briefly fine-tuned on before its fitness is measured (0 = none)", dflt = "2048") int fitnessImages,
        @Setting(value = "epochs of each candidate's fine-tune before its fitness is measured (0: the brief one, 1 epoch at a constant lr with "
                + "batch 64; E > 0: E epochs of Adam with cosine decay from lr at the output's batch, as the output's fine-tune)", dflt = "0") int fitnessEpochs,
        @Setting(value = "loss: rank candidates by cross-entropy on the held-out split (smoother than accuracy on a few thousand images); "
                + "accuracy: by top-1 accuracy on it", dflt = "loss") String rankBy,
        @Setting(value = "the best K distinct genomes of the last generation are fine-tuned on every training image outside the held-out "
                + "split and scored again, and the best of them wins (≤ 1: the search's best as scored); width-search: the K best distinct genomes of "
                + "the whole search are calibrated by measurement and join the uniform prune calibrated the same way, every one of them that "
                + "measures within 5 % of the target and no slower than the uniform prune gets the output's fine-tune (finetune epochs on the "
                + "training images outside the held-out split), and the best on the held-out split is the output (ties: the uniform prune)", dflt = "3") int finalTop,
        @Setting(value = "ga: epochs of the final round's fine-tune of each finalist (0: the brief fine-tune, 1 epoch at a constant lr "
                + "with batch 64; E > 0: the output's fine-tune, E epochs of Adam with cosine decay from lr, on the same images); with E > 0 "
                + "the initial population's seed genomes (uniform, sensitivity) are finalists too, since a brief fitness may have ranked "
                + "them out of the last generation", dflt = "0") int finalEpochs,
        @Setting(value = "ga: fine-tunes per finalist in the final round, seeded seed, seed+1, ...; its held-out accuracy and loss "
                + "are their means (one fine-tune's seed can move a small net's accuracy by points)", dflt = "1") int finalSeeds,
        @Setting(value = "times a child that prunes to an already evaluated network is mutated again before it joins the generation (0: never)", dflt = "4") int noveltyTries,
        @Setting(value = "genomes the initial population starts from, comma-separated: uniform (every group the same keep ratio), "
                + "front-wide (the first quarter of the groups whole, later groups wider than the median group 0.5, the rest 0.75; "
                + "ratios encoding only), "
                + "sensitivity (per-group amounts from a one-group-at-a-time scan on the held-out split, as prune --amount-per-layer auto "
                + "chooses them; ratios encoding only), none (random genomes only); auto: uniform,front-wide for width-search (the "
                + "configuration measured against uniform at equal latency, BENCHMARKS.md session 18), uniform,sensitivity otherwise", dflt = "auto") String seedPopulation,
        @Setting(value = "smallest keep ratio of any coupled group", dflt = "0.1") double minKeep,
        @Setting(value = "epochs of fine-tuning of the chosen model on the training data (under a latency target: on the training images "
                + "outside the held-out split, the same fine-tune for uniform and for every width-search finalist)", dflt = "0") int finetune,
        @Setting(value = "learning rate of the brief and the final fine-tuning (Adam; cosine decay for the final one)", dflt = "0.001") float lr,
        @Setting(value = "keep a multiple of this many channels per coupled group (1 = exact; 0 = " + LATENCY_ROUND_TO + " under a latency "
                + "target, else 1: ONNX Runtime's blocked convolution kernels take channels in blocks of 16 on AVX-512, and widths off "
                + "those blocks measured slower than the unpruned graph, so an unrounded search chases noise)", dflt = "0") int roundTo,
        @Setting("a JSON file the population is checkpointed to after every generation (null: none)") String checkpoint,
        @Setting(value = "continue from the checkpoint instead of starting over", dflt = "false") boolean resume,
        @Setting("a plan file written by an earlier search (or structured prune) applied instead of searching") String replay,
        @Setting("evolution-ccg: an image classifier whose penultimate-layer features score the generators by Fréchet distance "
                + "against held-out training images (null: no quality score)") String fidClassifier) implements Pass {

    public SearchConfig {
        if (method == null) method = "ga";
        boolean lat = targetLatency > 0 || targetLatencyMs > 0;
        if (!List.of("ga", "width-search", "uniform", "evolution-ccg").contains(method))
            throw new NnzipException("search --method must be ga, width-search, uniform or evolution-ccg, not '" + method + "'");
        if (method.equals("evolution-ccg") && lat) throw new NnzipException("search --method evolution-ccg searches under --target-macs, not a latency target");
        if (fidClassifier != null && !method.equals("evolution-ccg")) throw new NnzipException("--fid-classifier scores generators: it needs --method evolution-ccg");
        if (targetLatency < 0 || targetLatency > 1) throw new NnzipException("--target-latency must be in (0, 1], got " + targetLatency);
        if (targetLatencyMs < 0) throw new NnzipException("--target-latency-ms must be > 0, got " + targetLatencyMs);
        if (targetLatency > 0 && targetLatencyMs > 0) throw new NnzipException("search: give --target-latency or --target-latency-ms, not both");
        if (method.equals("width-search") && !lat) throw new NnzipException("search --method width-search needs --target-latency F or --target-latency-ms X");
        if (method.equals("ga") && lat) throw new NnzipException("search --method ga searches under --target-macs; use --method width-search for a latency target");
        if (latencyTable != null && !lat) throw new NnzipException("--latency-table holds measured latencies: it needs --target-latency or --target-latency-ms");
        if (lat && latencyBatch < 1) throw new NnzipException("--latency-batch must be ≥ 1 with a latency target");
        if (latencyClock == null) latencyClock = "wall";
        if (!latencyClock.equals("wall") && !latencyClock.equals("cpu")) throw new NnzipException("--latency-clock must be wall or cpu, not '" + latencyClock + "'");
        if (latencyRuns < 1) throw new NnzipException("--latency-runs must be ≥ 1");
        if (latencySamples < 0) throw new NnzipException("--latency-samples must be ≥ 0");
        if (encoding == null) encoding = "ratios";
        if (!encoding.equals("ratios") && !encoding.equals("filters")) throw new NnzipException("--encoding must be ratios or filters, not '" + encoding + "'");
        if (!method.equals("ga") && encoding.equals("filters")) throw new NnzipException("search --method " + method + " works on per-group widths: --encoding ratios, not filters");
        if (!(targetMacs > 0 && targetMacs <= 1)) throw new NnzipException("--target-macs must be in (0, 1], got " + targetMacs);
        if (population < 2) throw new NnzipException("--population must be ≥ 2");
        if (generations < 0) throw new NnzipException("--generations must be ≥ 0");
        if (!(mutation >= 0 && mutation <= 1)) throw new NnzipException("--mutation must be in [0, 1]");
        if (!(crossover >= 0 && crossover <= 1)) throw new NnzipException("--crossover must be in [0, 1]");
        if (elitism < 0 || elitism >= population) throw new NnzipException("--elitism must be in [0, population)");
        if (rankBy == null) rankBy = "loss";
        if (!rankBy.equals("loss") && !rankBy.equals("accuracy")) throw new NnzipException("--rank-by must be loss or accuracy, not '" + rankBy + "'");
        if (noveltyTries < 0) throw new NnzipException("--novelty-tries must be ≥ 0");
        if (finalTop < 0) throw new NnzipException("--final-top must be ≥ 0");
        if (finalEpochs < 0) throw new NnzipException("--final-epochs must be ≥ 0");
        if (finalSeeds < 1) throw new NnzipException("--final-seeds must be ≥ 1");
        if (!method.equals("ga") && (finalEpochs != 0 || finalSeeds != 1))
            throw new NnzipException("--final-epochs and --final-seeds set the final round of --method ga, not " + method);
        if (holdout < 1) throw new NnzipException("--holdout must be ≥ 1");
        if (fitnessImages < 0) throw new NnzipException("--fitness-images must be ≥ 0");
        if (fitnessEpochs < 0) throw new NnzipException("--fitness-epochs must be ≥ 0");
        if (!(minKeep > 0 && minKeep <= 1)) throw new NnzipException("--min-keep must be in (0, 1]");
        if (finetune < 0) throw new NnzipException("--finetune must be ≥ 0");
        if (roundTo == 0) roundTo = lat ? LATENCY_ROUND_TO : 1;
        if (roundTo < 1) throw new NnzipException("--round-to must be ≥ 1");
        if (seedPopulation == null || seedPopulation.strip().equals("auto"))
            seedPopulation = method.equals("width-search") ? "uniform,front-wide" : "uniform,sensitivity";
        for (String s : seedPopulation.split(","))
            if (!List.of("uniform", "front-wide", "sensitivity", "none").contains(s.strip()))
                throw new NnzipException("--seed-population takes uniform, front-wide, sensitivity or none (comma-separated), not '" + s.strip() + "'");
        if (resume && checkpoint == null) throw new NnzipException("--resume needs --checkpoint FILE");
    }

    /** Channel multiple a latency-targeted search keeps unless told otherwise (BENCHMARKS.md, issue 17, sessions 9, 15, 16). */
    public static final int LATENCY_ROUND_TO = 16;

    /** Whether the search works to a latency target (--target-latency or --target-latency-ms) instead of --target-macs. */
    public boolean latencyTarget() { return targetLatency > 0 || targetLatencyMs > 0; }

    /** Whether {@code --seed-population} names this seed. */
    public boolean seeds(String name) { return List.of(seedPopulation.split(",")).stream().map(String::strip).anyMatch(name::equals); }

    /** What the search ranks by (higher is better) for a candidate with this held-out accuracy and cross-entropy. */
    public double fitness(double accuracy, double loss) { return rankBy.equals("loss") ? -loss : accuracy; }

    /** A config from option values by snake_case key; defaults for the rest. */
    public static SearchConfig of(Map<String, ?> values) { return Configs.of(SearchConfig.class, values); }

    @Override
    public String name() { return "search"; }

    @Override
    public PassResult run(Model model, PassContext context) { return SearchPass.run(model, this, context).result(); }
}
