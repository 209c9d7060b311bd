package io.nnzip.cli;

import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.pass.PassContext;
import io.nnzip.prune.ModelSource;
import io.nnzip.prune.PruneConfig;
import io.nnzip.prune.PruneOutput;
import io.nnzip.prune.PrunePass;
import io.nnzip.prune.report.LatencyComparison;
import io.nnzip.prune.report.PruneReport;
import io.nnzip.prune.report.Snapshot;
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

    @Option(names = "--method", description = "Unstructured and --nm: magnitude (default), l1, l2, random, dns (dynamic network surgery while --finetune), sparsegpt (one-shot: masks and weight updates from calibration inputs, no retraining), wanda (|w|·‖x‖ from calibration inputs). Structured (CNN channels, transformer heads and MLP neurons): l1-filter (default), l2-filter, bn-scale, apoz, mean-activation, hrank, taylor, random.")
    String method;

    @Option(names = "--scope", defaultValue = "layer", description = "layer: every layer (coupled group) reaches the amount; global: one ranking across the network (default ${DEFAULT-VALUE}).")
    String scope;

    @Option(names = "--amount", defaultValue = "0.5", description = "Share of weights (or of channels per group) to remove (default ${DEFAULT-VALUE}).")
    double amount;

    @Option(names = "--nm", paramLabel = "N:M", description = "Semi-structured sparsity: keep N of every M consecutive weights along the reduction axis, e.g. 2:4.")
    String nm;

    @Option(names = {"--prune-schedule", "--schedule"}, defaultValue = "oneshot", description = "oneshot, iterative:STEPS, agp:STEPS, or gradual:STEPS (AGP's amounts pruned inside one fine-tuning run; default ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--layer-amounts", paramLabel = "KEY=AMOUNT,...", description = "Unstructured: own amounts for some layers, by weight name or role (first, last, largest: the weight with the most elements), e.g. last=0.75; the rest follow --amount and --scope. With --nm only 0: keep those layers dense (first=0,last=0).")
    String layerAmounts;

    @Option(names = "--finetune", defaultValue = "0", paramLabel = "EPOCHS", description = "Epochs of fine-tuning on --data, spread over the schedule's steps (default ${DEFAULT-VALUE}).")
    int finetune;

    @Option(names = "--finetune-budget", paramLabel = "GMACS", defaultValue = "0", description = "Cap --finetune at this much forward compute: epochs × training images × the model's MACs per image, in GMACs (at least one epoch; 0 = no cap). Lets one recipe fine-tune a small model long and a large one briefly.")
    double finetuneBudget;

    @Option(names = {"--lr", "--ft-lr"}, defaultValue = "0.003", description = "Fine-tuning learning rate (Adam, cosine decay; default ${DEFAULT-VALUE}).")
    float ftLr;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--calib-data", paramLabel = "DATA", description = "Inputs for data-driven criteria: a dataset name or an .npy of inputs (default: --data, else random inputs).")
    String calibData;

    @Option(names = "--calib-batches", description = "Calibration batches (default 4; 16 for --method sparsegpt and wanda).")
    Integer calibBatches;

    @Option(names = {"--calib-batch-size", "--batch-size"}, defaultValue = "16", description = "Calibration batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--amount-per-layer", description = "auto: choose each group's amount from a sensitivity scan to remove --target-macs of the MACs (structured); kernel: prune --amount only the layers nnzip's engine runs with a sparse kernel, raised to where it engages, and keep the rest dense (unstructured).")
    String amountPerLayer;

    @Option(names = "--target-macs", paramLabel = "F", description = "Structured: fraction of the original MACs to keep, per-group amounts chosen by a sensitivity scan (implies --amount-per-layer auto; default 0.5 with it).")
    Double targetMacs;

    @Option(names = "--plan", description = "Also write the structured pruning plan (JSON) here.")
    Path planOut;

    @Option(names = "--replay", description = "Apply a plan written by --plan instead of choosing channels.")
    Path replay;


    @Option(names = "--seed", defaultValue = "1", description = "Seed for random criteria and sampling (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--latency-batch", defaultValue = "1", description = "Batch for the ONNX Runtime latency measurement (0 = skip).")
    int latencyBatch;

    @Mixin
    SparkTraining spark;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads for the latency measurement (default: all cores).")
    int threads = OptionRules.CORES;

    @Option(names = "--latency-runs", defaultValue = "20", description = "Alternated timed runs per model (default ${DEFAULT-VALUE}).")
    int latencyRuns;

    @Option(names = "--round-to", defaultValue = "8", description = "Keep a multiple of this many channels per coupled group (e.g. 8 for SIMD-friendly widths; default ${DEFAULT-VALUE}).")
    int roundTo;

    private Snapshot before, after;
    private LatencyComparison latency;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Model m = ModelSource.read(model);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("mode", nm != null ? "nm" : structured ? "structured" : "unstructured");
        o.put("method", method);
        o.put("scope", scope);
        o.put("amount", amount);
        o.put("nm", nm);
        o.put("schedule", schedule);
        o.put("finetune", finetune);
        o.put("seed", seed);
        // a MAC target is met by per-group amounts: giving one without --amount-per-layer asks for them
        o.put("amount_per_layer", amountPerLayer == null && targetMacs != null && structured ? "auto" : amountPerLayer);
        o.put("target_macs", targetMacs == null ? 0.5 : targetMacs);
        o.put("calib_batches", calibBatches == null ? 0 : calibBatches);
        o.put("round_to", roundTo);
        o.put("layer_amounts", layerAmounts);
        o.put("finetune_budget", finetuneBudget);
        o.put("lr", ftLr);
        o.put("batch_size", batchSize);
        o.put("replay", replay == null ? null : replay.toString());
        o.put("latency_batch", latencyBatch);
        o.put("latency_runs", latencyRuns);
        PruneConfig c = PruneConfig.of(o);
        PassContext ctx = PassContext.builder()
                .data(dataOptions.splits().withCalibration(calibData, dataOptions.limit))
                .threads(threads).seed(seed).log(this::note)
                .remote(spark.remote(dataOptions.data, dataOptions.limit)).build();
        PrunePass.Detailed d = PrunePass.run(m, c, ctx);
        OnnxWriter.write(d.result().model(), output);
        if (planOut != null && !d.plans().isEmpty()) AtomicFiles.write(planOut, PruneOutput.planBytes(d.plans()));
        before = d.before();
        after = d.after();
        latency = d.latency();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model);
        r.put("output", output.toString());
        r.putAll(d.result().report());
        if (planOut != null) r.put("plan", planOut.toString());
        return r;
    }

    /** {@code epochs}, capped so that epochs × images × MACs per image stays within {@code budgetGmacs} (≥ 1 epoch). */
    static int epochsWithin(int epochs, double budgetGmacs, io.nnzip.prune.PruneData data, Model m) {
        return PrunePass.epochsWithin(epochs, budgetGmacs, data, m);
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
