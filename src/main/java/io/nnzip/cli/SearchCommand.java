package io.nnzip.cli;

import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.pass.PassContext;
import io.nnzip.prune.ModelSource;
import io.nnzip.prune.PruneOutput;
import io.nnzip.search.SearchConfig;
import io.nnzip.search.SearchPass;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "search", mixinStandardHelpOptions = true,
        description = {"Searches which channels to remove under a MAC budget (a genetic algorithm whose fitness is accuracy on a",
                "held-out part of the training data after a brief fine-tune), then prunes structurally and fine-tunes."})
public final class SearchCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model, or zoo:NAME:SIZE[:WIDTH].")
    String model;

    @Option(names = {"-o", "--output"}, required = true, description = "Where to write the pruned ONNX model.")
    Path output;

    @Option(names = "--method", defaultValue = "ga", description = "ga: genetic algorithm over channel masks under --target-macs; width-search: the same search over per-group widths under a latency target measured in ONNX Runtime; uniform: every group the same keep ratio meeting the MAC or latency target; evolution-ccg: co-evolutionary compression of a generator (noise input) against a population of discriminators, then distillation to the original for --finetune epochs (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--target-latency", paramLabel = "F", defaultValue = "0", description = "Fraction of the original's ONNX Runtime latency to keep (width-search, uniform; measured, not predicted).")
    double targetLatency;

    @Option(names = "--target-latency-ms", paramLabel = "MS", defaultValue = "0", description = "ONNX Runtime latency in milliseconds to meet, at --latency-batch and --threads (width-search, uniform).")
    double targetLatencyMs;

    @Option(names = "--latency-batch", paramLabel = "N", defaultValue = "32", description = "Batch of the ONNX Runtime latency measurements (default ${DEFAULT-VALUE}).")
    int latencyBatch;

    @Option(names = "--latency-runs", paramLabel = "N", defaultValue = "20", description = "Alternated timed runs per latency measurement; the final check takes 3× (default ${DEFAULT-VALUE}).")
    int latencyRuns;

    @Option(names = "--latency-clock", defaultValue = "wall", description = "wall: time each run by the wall clock; cpu: by the calling thread's CPU time (needs --threads 1; the figure to trust on a loaded machine) (default ${DEFAULT-VALUE}).")
    String latencyClock;

    @Option(names = "--latency-table", paramLabel = "FILE", description = "Text file of measured latency ratios of uniform prunes: read before the uniform calibration, appended to; a run given the file another run wrote keeps the same uniform prune (default: none).")
    Path latencyTable;

    @Option(names = "--latency-samples", paramLabel = "N", defaultValue = "16", description = "Random-width graphs measured to fit the latency model, plus 3 uniform ones (default ${DEFAULT-VALUE}).")
    int latencySamples;

    @Option(names = "--target-macs", paramLabel = "F", defaultValue = "0.4", description = "Fraction of the original MACs to keep (default ${DEFAULT-VALUE}).")
    double targetMacs;

    @Option(names = "--encoding", defaultValue = "ratios", description = "ratios: a keep ratio per coupled group (large models); filters: a gene per channel (default ${DEFAULT-VALUE}).")
    String encoding;

    @Option(names = "--population", defaultValue = "12", description = "Individuals per generation (default ${DEFAULT-VALUE}).")
    int population;

    @Option(names = "--generations", defaultValue = "6", description = "Generations after the initial population (default ${DEFAULT-VALUE}).")
    int generations;

    @Option(names = "--mutation", defaultValue = "0.2", description = "Per-gene mutation probability (default ${DEFAULT-VALUE}).")
    double mutation;

    @Option(names = "--crossover", defaultValue = "0.7", description = "Probability that a child mixes two parents (default ${DEFAULT-VALUE}).")
    double crossover;

    @Option(names = "--elitism", defaultValue = "2", description = "Best individuals kept unchanged per generation (default ${DEFAULT-VALUE}).")
    int elitism;

    @Option(names = "--holdout", paramLabel = "N", defaultValue = "2000", description = "Training images held out for the fitness (default ${DEFAULT-VALUE}); the test split is never used.")
    int holdout;

    @Option(names = "--fitness-images", paramLabel = "N", defaultValue = "2048", description = "Training images of each candidate's brief fine-tune (0 = none; default ${DEFAULT-VALUE}).")
    int fitnessImages;

    @Option(names = "--fitness-epochs", paramLabel = "E", defaultValue = "0", description = "Epochs of each candidate's fine-tune: 0 = the brief one (1 epoch, batch 64, constant --lr); E > 0 = E epochs with cosine decay, as the output's (default ${DEFAULT-VALUE}).")
    int fitnessEpochs;

    @Option(names = "--rank-by", defaultValue = "loss", description = "loss: rank candidates by held-out cross-entropy (smoother on small splits); accuracy: by held-out accuracy (default ${DEFAULT-VALUE}).")
    String rankBy;

    @Option(names = "--final-top", paramLabel = "K", defaultValue = "3", description = "Score the K best genomes of the last generation again after a fine-tune on all training images outside the held-out split; the best wins (≤ 1: none; default ${DEFAULT-VALUE}).")
    int finalTop;

    @Option(names = "--final-epochs", paramLabel = "E", defaultValue = "0", description = "ga: fine-tune each finalist of the final round E epochs with cosine decay (as the output) instead of the brief 1-epoch fine-tune; the seed genomes join the finalists (0: brief; default ${DEFAULT-VALUE}).")
    int finalEpochs;

    @Option(names = "--final-seeds", paramLabel = "S", defaultValue = "1", description = "ga: fine-tunes per finalist in the final round (seeds seed..seed+S-1), held-out accuracy and loss averaged (default ${DEFAULT-VALUE}).")
    int finalSeeds;

    @Option(names = "--novelty-tries", paramLabel = "N", defaultValue = "4", description = "Times a child that prunes to an already evaluated network is mutated again (0: never; default ${DEFAULT-VALUE}).")
    int noveltyTries;

    @Option(names = "--seed-population", paramLabel = "LIST", defaultValue = "auto", description = "Genomes the initial population starts from, comma-separated: uniform, front-wide (first quarter of the groups whole, later groups wider than the median 0.5, the rest 0.75), sensitivity (per-group amounts of a sensitivity scan on the held-out split), none; auto = uniform,front-wide for width-search, uniform,sensitivity otherwise (default ${DEFAULT-VALUE}).")
    String seedPopulation;

    @Option(names = "--min-keep", defaultValue = "0.1", description = "Smallest share of channels any group keeps (default ${DEFAULT-VALUE}).")
    double minKeep;

    @Option(names = "--finetune", defaultValue = "0", paramLabel = "EPOCHS", description = "Epochs of fine-tuning of the chosen model on --data (default ${DEFAULT-VALUE}).")
    int finetune;

    @Option(names = "--lr", defaultValue = "0.001", description = "Learning rate of the brief and the final fine-tuning (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--round-to", description = "Keep a multiple of this many channels per coupled group (default: 16 under a latency target, where ONNX Runtime's convolutions run channels in blocks of 16; 1 otherwise).")
    Integer roundTo;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the search and of every fitness evaluation (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "Write the population here after every generation.")
    Path checkpoint;

    @Option(names = "--resume", description = "Continue the search saved in --checkpoint.")
    boolean resume;

    @Option(names = "--plan", description = "Also write the chosen structured pruning plan (JSON) here.")
    Path planOut;

    @Option(names = "--replay", description = "Apply a plan written by --plan instead of searching.")
    Path replay;

    @Option(names = "--fid-classifier", paramLabel = "FILE", description = "evolution-ccg: score the original, pruned and fine-tuned generators by the Fréchet distance of this classifier's penultimate features to --holdout training images.")
    Path fidClassifier;

    @Option(names = "--plot", description = "Write the chart of fitness against MACs kept per generation here (PNG).")
    Path plot;

    @Option(names = "--threads", paramLabel = "N", description = "Threads of training and evaluation (default: all cores).")
    int threads = OptionRules.CORES;

    @Mixin
    DataOptions dataOptions;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Model m = ModelSource.read(model);
        dataOptions.requireData("search");
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("method", method);
        o.put("target_macs", targetMacs);
        o.put("target_latency", targetLatency);
        o.put("target_latency_ms", targetLatencyMs);
        o.put("latency_batch", latencyBatch);
        o.put("latency_runs", latencyRuns);
        o.put("latency_samples", latencySamples);
        o.put("latency_clock", latencyClock);
        o.put("latency_table", latencyTable == null ? null : latencyTable.toString());
        o.put("encoding", encoding);
        o.put("population", population);
        o.put("generations", generations);
        o.put("mutation", mutation);
        o.put("crossover", crossover);
        o.put("elitism", elitism);
        o.put("seed", seed);
        o.put("holdout", holdout);
        o.put("fitness_images", fitnessImages);
        o.put("fitness_epochs", fitnessEpochs);
        o.put("rank_by", rankBy);
        o.put("final_top", finalTop);
        o.put("final_epochs", finalEpochs);
        o.put("final_seeds", finalSeeds);
        o.put("novelty_tries", noveltyTries);
        o.put("seed_population", seedPopulation);
        o.put("min_keep", minKeep);
        o.put("finetune", finetune);
        o.put("lr", lr);
        if (roundTo != null) o.put("round_to", roundTo);
        o.put("checkpoint", checkpoint == null ? null : checkpoint.toString());
        o.put("resume", resume);
        o.put("replay", replay == null ? null : replay.toString());
        o.put("fid_classifier", fidClassifier == null ? null : fidClassifier.toString());
        SearchConfig c = SearchConfig.of(o);
        PassContext ctx = dataOptions.context(seed).threads(threads).log(this::note).progressOn(!dataOptions.noProgress && !json).build();
        SearchPass.Detailed d = SearchPass.run(m, c, ctx);
        OnnxWriter.write(d.result().model(), output);
        if (planOut != null && d.plan() != null) AtomicFiles.write(planOut, PruneOutput.planBytes(List.of(d.plan())));
        if (plot != null && d.chart() != null) AtomicFiles.write(plot, d.chart());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model);
        r.put("output", output.toString());
        r.putAll(d.result().report());
        if (planOut != null) r.put("plan", planOut.toString());
        if (plot != null) r.put("plot", plot.toString());
        return r;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.println("searched " + r.get("model") + " -> " + r.get("output"));
        out.printf("MACs kept %.3f  accuracy %s -> %s (pruned, before fine-tuning %s)%n", r.get("macs_kept"), r.get("accuracy_original"),
                r.get("accuracy_finetuned"), r.get("accuracy_pruned"));
        if (r.containsKey("best")) out.println("best genome: " + r.get("best"));
        if (r.containsKey("seconds_per_evaluation")) out.println("seconds per evaluation: " + r.get("seconds_per_evaluation"));
    }
}
