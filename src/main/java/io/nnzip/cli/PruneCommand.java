package io.nnzip.cli;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.Accuracy;
import io.nnzip.prune.PruneConfig;
import io.nnzip.prune.ModelSource;
import io.nnzip.prune.PruneData;
import io.nnzip.prune.PruneOutput;
import io.nnzip.prune.Pruner;
import io.nnzip.prune.Sensitivity;
import io.nnzip.prune.StructuredPruner;
import io.nnzip.prune.dep.PlanApplier;
import io.nnzip.prune.dep.PrunePlan;
import io.nnzip.prune.dep.ValueProbe;
import io.nnzip.prune.report.LatencyComparison;
import io.nnzip.prune.report.PruneReport;
import io.nnzip.prune.report.Snapshot;
import io.nnzip.prune.schedule.Schedule;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "prune", mixinStandardHelpOptions = true,
        description = {"Prunes a model: zeros single weights (unstructured), removes whole channels and shrinks every coupled",
                "tensor (--structured), or imposes N:M sparsity (--nm 2:4). Prints a before/after report."})
public final class PruneCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model, or zoo:NAME:SIZE[:WIDTH] (resnet18, mobilenetv2, squeezenet, shufflenetv2).")
    String model;

    @Option(names = {"-o", "--output"}, required = true, description = "Where to write the pruned ONNX model.")
    Path output;

    @Option(names = "--structured", description = "Remove whole filters/channels/neurons instead of single weights.")
    boolean structured;

    @Option(names = "--method", description = "Unstructured: magnitude (default), l1, l2, random. Structured: l1-filter (default), l2-filter, bn-scale, apoz, mean-activation, hrank, random.")
    String method;

    @Option(names = "--scope", defaultValue = "layer", description = "layer: every layer (coupled group) reaches the amount; global: one ranking across the network (default ${DEFAULT-VALUE}).")
    String scope;

    @Option(names = "--amount", defaultValue = "0.5", description = "Share of weights (or of channels per group) to remove (default ${DEFAULT-VALUE}).")
    double amount;

    @Option(names = "--nm", paramLabel = "N:M", description = "Semi-structured sparsity: keep N of every M consecutive weights along the reduction axis, e.g. 2:4.")
    String nm;

    @Option(names = "--schedule", defaultValue = "oneshot", description = "oneshot, iterative:STEPS, agp:STEPS, or gradual:STEPS (AGP's amounts pruned inside one fine-tuning run; default ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--layer-amounts", paramLabel = "KEY=AMOUNT,...", description = "Unstructured: own amounts for some layers, by weight name or role (first, last), e.g. last=0.75; the rest follow --amount and --scope.")
    String layerAmounts;

    @Option(names = "--finetune", defaultValue = "0", paramLabel = "EPOCHS", description = "Fine-tuning epochs on --data, spread over the schedule's steps.")
    int finetune;

    @Option(names = "--finetune-budget", paramLabel = "GMACS", defaultValue = "0", description = "Cap --finetune at this much forward compute: epochs × training images × the model's MACs per image, in GMACs (at least one epoch; 0 = no cap). Lets one recipe fine-tune a small model long and a large one briefly.")
    double finetuneBudget;

    @Option(names = "--ft-lr", defaultValue = "0.001", description = "Fine-tuning learning rate (Adam, cosine decay; default ${DEFAULT-VALUE}).")
    float ftLr;

    @Option(names = "--data", description = "Labelled data for accuracy and fine-tuning (e.g. fashion-mnist).")
    String data;

    @Option(names = "--normalize", paramLabel = "MEAN,STD",
            description = "Input normalization (x-MEAN)/STD on [0,1] pixels; per channel: M1,..,Mk,S1,..,Sk. Default: the model's recorded one, else none.")
    String normalize;

    @Option(names = "--calib-data", description = "Inputs for data-driven criteria: a dataset name or an .npy of inputs (default: --data, else random inputs).")
    String calibData;

    @Option(names = "--calib-batches", defaultValue = "4", description = "Calibration batches (default ${DEFAULT-VALUE}).")
    int calibBatches;

    @Option(names = "--batch-size", defaultValue = "16", description = "Calibration batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--amount-per-layer", description = "auto: choose each group's amount from a sensitivity scan to remove --target-macs of the MACs.")
    String amountPerLayer;

    @Option(names = "--target-macs", defaultValue = "0.5", description = "With --amount-per-layer auto: share of MACs to remove (default ${DEFAULT-VALUE}).")
    double targetMacs;

    @Option(names = "--plan", description = "Also write the structured pruning plan (JSON) here.")
    Path planOut;

    @Option(names = "--replay", description = "Apply a plan written by --plan instead of choosing channels.")
    Path replay;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Use only the first N images of each split of --data (quick runs).")
    int limit;

    @Option(names = "--seed", defaultValue = "1", description = "Seed for random criteria and sampling.")
    long seed;

    @Option(names = "--latency-batch", defaultValue = "1", description = "Batch for the ONNX Runtime latency measurement (0 = skip).")
    int latencyBatch;

    @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime threads for the latency measurement (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--latency-runs", defaultValue = "20", description = "Alternated timed runs per model (default ${DEFAULT-VALUE}).")
    int latencyRuns;

    @Option(names = "--round-to", defaultValue = "8", description = "Keep a multiple of this many channels per coupled group (e.g. 8 for SIMD-friendly widths; default ${DEFAULT-VALUE}).")
    int roundTo;

    private Snapshot before, after;
    private LatencyComparison latency;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Model m = ModelSource.read(model);
        io.nnzip.data.DataSplits splits = io.nnzip.data.DataSplits.load(data, limit).withCalibration(calibData, limit)
                .normalized(normalize == null ? null : io.nnzip.data.Normalization.parse(normalize));
        PruneData calib = PruneData.of(splits, ftLr, seed);
        PruneData labelled = data == null ? null : calib;
        int finetune = epochsWithin(this.finetune, finetuneBudget, labelled, m);
        String mode = nm != null ? "nm" : structured ? "structured" : "unstructured";
        String meth = method != null ? method : structured ? "l1-filter" : "magnitude";
        PruneConfig c = new PruneConfig(mode, meth, scope, amount, nm, Schedule.parse(schedule), finetune, seed, amountPerLayer, targetMacs, calibBatches, roundTo, layerAmounts);
        if (amountPerLayer != null && !amountPerLayer.equals("auto")) throw new NnzipException("--amount-per-layer takes only 'auto'");
        if (amountPerLayer != null && !structured) throw new NnzipException("--amount-per-layer auto applies to --structured pruning");
        Accuracy acc = calib.accuracy();
        Map<String, Tensor> latFeeds = latencyBatch > 0 ? ValueProbe.randomFeeds(m, latencyBatch, seed) : null;
        before = Snapshot.of(m, acc);

        Pruner.Outcome out;
        if (replay != null) {
            List<PrunePlan> plans = PruneOutput.readPlans(replay);
            Model cur = m;
            List<String> notes = new ArrayList<>();
            for (PrunePlan p : plans) {
                cur = PlanApplier.apply(cur, p);
                notes.addAll(p.notes);
            }
            out = new Pruner.Outcome(cur, plans, new io.nnzip.prune.WeightMasks(), List.of(), notes);
        } else {
            Iterable<Map<String, Tensor>> batches = calib.calibration(m, calibBatches, batchSize, seed);
            var labelledBatches = calib.labelled(m, calibBatches, batchSize, seed);
            Map<Integer, Double> perGroup = null;
            List<String> autoNotes = new ArrayList<>();
            if ("auto".equals(amountPerLayer)) {
                Sensitivity.Scan scan = Sensitivity.scan(m, meth, List.of(0.1, 0.3, 0.5, 0.7, 0.9), batches, labelledBatches, acc, seed, this::note);
                perGroup = scan.amountsForMacs(targetMacs);
                autoNotes.add("per-group amounts from a sensitivity scan (" + scan.scoreName() + "): " + scan.describe(perGroup));
            }
            if (structured && io.nnzip.prune.criteria.Criteria.needsData(meth) && calibData == null && labelled == null)
                autoNotes.add(meth + " ranked channels on random inputs; pass --calib-data or --data for real activations");
            out = Pruner.run(m, c, calib.fineTune(), batches, labelledBatches, perGroup, this::note);
            out.notes().addAll(0, autoNotes);
        }
        Model pruned = out.model();
        Map<String, Object> options = new LinkedHashMap<>(c.toMap());
        if (data != null) options.put("data", data);
        if (finetuneBudget > 0) options.put("finetune_budget_gmacs", finetuneBudget);
        if (calibData != null) options.put("calib_data", calibData);
        if (replay != null) options.put("replay", replay.toString());
        if (normalize != null) {
            options.put("normalize", normalize);
            splits.explicitNormalization().writeTo(pruned);
        }
        PruneOutput.record(pruned, options);
        OnnxWriter.write(pruned, output);
        if (planOut != null && !out.plans().isEmpty()) AtomicFiles.write(planOut, PruneOutput.planBytes(out.plans()));
        after = Snapshot.of(pruned, acc);
        if (latFeeds != null) latency = LatencyComparison.measure(m, pruned, latFeeds, threads, latencyRuns);

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model.toString());
        r.put("output", output.toString());
        r.put("options", options);
        r.putAll(PruneReport.toJson(before, after, latency));
        if (!out.groups().isEmpty()) r.put("groups", out.groups().stream().map(StructuredPruner::toJson).toList());
        r.put("notes", out.notes());
        if (planOut != null) r.put("plan", planOut.toString());
        return r;
    }

    /** {@code epochs}, capped so that epochs × images × MACs per image stays within {@code budgetGmacs} (≥ 1 epoch). */
    static int epochsWithin(int epochs, double budgetGmacs, PruneData data, Model m) {
        if (budgetGmacs < 0) throw new NnzipException("--finetune-budget must be ≥ 0");
        if (budgetGmacs == 0 || epochs <= 1 || data == null || data.trainingImages() == 0) return epochs;
        double perEpoch = (double) data.trainingImages() * io.nnzip.eval.ModelStats.of(m).macs / 1e9;
        if (!(perEpoch > 0)) return epochs;
        return (int) Math.max(1, Math.min(epochs, Math.floor(budgetGmacs / perEpoch)));
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.println("pruned " + r.get("model") + " -> " + r.get("output") + "  " + r.get("options"));
        PruneReport.print(before, after, latency, out);
        if (r.containsKey("groups")) {
            out.println("coupled groups (channels kept / total):");
            for (Map<String, Object> g : (List<Map<String, Object>>) r.get("groups"))
                out.printf("  %-44s %5d / %-5d%s%n", g.get("group"), (Integer) g.get("channels") - (Integer) g.get("removed"), g.get("channels"),
                        g.containsKey("pinned") ? "  " + g.get("pinned") + " pinned: " + g.get("why") : "");
        }
        for (String n : (List<String>) r.get("notes")) out.println("note: " + n);
    }
}
