package io.nnzip.prune;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.pass.Configs;
import io.nnzip.pass.Pass;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Setting;
import io.nnzip.prune.schedule.Schedule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The prune pass: every option, recorded in the output model's provenance ({@code nnzip.prune}) so the result
 * can be reproduced from its own file. {@link #run} is {@link PrunePass#run}.
 */
public record PruneConfig(
        @Setting(value = "unstructured (zero single weights), structured (remove channels) or nm (N:M sparsity)", dflt = "unstructured") String mode,
        @Setting("unstructured and nm: magnitude | l1 | l2 | random | dns (dynamic network surgery: masks revised while fine-tuning) | sparsegpt (one-shot, "
                + "weights reconstructed from calibration inputs) | wanda (|w|·‖x‖ from calibration inputs); structured: l1-filter | l2-filter | bn-scale | apoz | mean-activation | hrank | taylor | random "
                + "(default magnitude, or l1-filter when structured)") String method,
        @Setting(value = "layer: every layer (coupled group) reaches the amount; global: one ranking across the network", dflt = "layer") String scope,
        @Setting(value = "share of weights (unstructured) or of channels per coupled group (structured) to remove", dflt = "0.5") double amount,
        @Setting("N:M, keep N of every M consecutive weights along the reduction axis (mode nm)") String nm,
        @Setting(value = "oneshot | iterative:STEPS | agp:STEPS | gradual:STEPS (pruned inside one fine-tuning run)", dflt = "oneshot") Schedule schedule,
        @Setting(value = "epochs of fine-tuning on the training data, spread over the schedule's steps", dflt = "0") int finetune,
        @Setting(value = "seed of random criteria, calibration sampling and fine-tuning order", dflt = "1") long seed,
        @Setting("null (uniform); auto: per-group amounts from a sensitivity scan that remove target_macs of the MACs (structured); kernel: amount on the layers nnzip's engine runs with a sparse kernel (raised to where it engages), the others dense (unstructured)") String amountPerLayer,
        @Setting(value = "with amount_per_layer auto: fraction of the original MACs to keep", dflt = "0.5") double targetMacs,
        @Setting(value = "calibration batches for activation criteria, sensitivity and one-shot reconstruction (0: 16 for sparsegpt and wanda, whose per-layer fits want more inputs, else 4)", dflt = "0") int calibBatches,
        @Setting(value = "structured: keep a multiple of this many channels per coupled group (1 = exact amount)", dflt = "8") int roundTo,
        @Setting("unstructured: own amounts for some layers by weight name or role (first, last, largest), e.g. last=0.75") String layerAmounts,
        @Setting(value = "cap on fine-tuning compute: epochs × training images × MACs per image, in GMACs (≥ 1 epoch; 0 = no cap)", dflt = "0") double finetuneBudget,
        @Setting(value = "fine-tuning learning rate (Adam, cosine decay); higher than a training default because a one-shot cut must be recovered in an epoch or two", dflt = "0.003") float lr,
        @Setting(value = "calibration batch size", dflt = "16") int batchSize,
        @Setting("a plan file written by an earlier structured prune, applied instead of choosing channels") String replay,
        @Setting(value = "batch for the ONNX Runtime latency comparison (0 = skip)", dflt = "1") int latencyBatch,
        @Setting(value = "alternated timed runs per model in the latency comparison", dflt = "20") int latencyRuns) implements Pass {

    public PruneConfig(String mode, String method, String scope, double amount, String nm, Schedule schedule,
                       int finetune, long seed, String amountPerLayer, double targetMacs, int calibBatches, int roundTo, String layerAmounts) {
        this(mode, method, scope, amount, nm, schedule, finetune, seed, amountPerLayer, targetMacs, calibBatches, roundTo, layerAmounts, 0, 3e-3f, 16, null, 1, 20);
    }

    public PruneConfig(String mode, String method, String scope, double amount, String nm, Schedule schedule,
                       int finetune, long seed, String amountPerLayer, double targetMacs, int calibBatches, int roundTo) {
        this(mode, method, scope, amount, nm, schedule, finetune, seed, amountPerLayer, targetMacs, calibBatches, roundTo, null);
    }

    public PruneConfig {
        if (mode == null) mode = nm != null ? "nm" : "unstructured";
        if (!mode.equals("unstructured") && !mode.equals("structured") && !mode.equals("nm"))
            throw new NnzipException("prune mode must be unstructured, structured or nm, not '" + mode + "'");
        if (method == null) method = mode.equals("structured") ? "l1-filter" : "magnitude";
        if (scope == null) scope = "layer";
        if (!(amount >= 0 && amount < 1)) throw new NnzipException("--amount must be in [0, 1), got " + amount);
        if (!scope.equals("layer") && !scope.equals("global")) throw new NnzipException("--scope must be layer or global, not '" + scope + "'");
        if (finetune < 0) throw new NnzipException("--finetune must be ≥ 0");
        if (roundTo < 1) throw new NnzipException("--round-to must be ≥ 1");
        if (calibBatches < 0) throw new NnzipException("--calib-batches must be ≥ 1");
        // 4 batches of 16 are 64 images: SparseGPT 2:4 on a trained ViT lost 2.19 points with them, 1.59 with 16 batches
        if (calibBatches == 0) calibBatches = io.nnzip.prune.oneshot.OneShotPruner.handles(method) ? 16 : 4;
        if (finetuneBudget < 0) throw new NnzipException("--finetune-budget must be ≥ 0");
        if (schedule == null) schedule = Schedule.parse("oneshot");
        if (!mode.equals("unstructured") && schedule.inTraining()) throw new NnzipException("--schedule gradual applies to unstructured pruning");
        if (mode.equals("structured") && layerAmounts != null) throw new NnzipException("--layer-amounts applies to unstructured and N:M pruning");
        if (amountPerLayer != null && !amountPerLayer.equals("auto") && !amountPerLayer.equals("kernel"))
            throw new NnzipException("--amount-per-layer takes 'auto' (structured) or 'kernel' (unstructured), not '" + amountPerLayer + "'");
        if ("auto".equals(amountPerLayer) && !mode.equals("structured")) throw new NnzipException("--amount-per-layer auto applies to --structured pruning");
        if ("kernel".equals(amountPerLayer) && !(mode.equals("unstructured") && List.of("magnitude", "l1", "l2", "random").contains(method)))
            throw new NnzipException("--amount-per-layer kernel applies to unstructured pruning with --method magnitude, l1, l2 or random");
        if (mode.equals("nm") && nm == null) throw new NnzipException("prune mode nm needs nm: N:M");
        if (mode.equals("nm") && layerAmounts != null) {
            int[] p = parseNm(nm);
            double sparse = 1 - (double) p[0] / p[1];
            if (LayerAmounts.parse(layerAmounts).values().stream().anyMatch(a -> a != 0 && Math.abs(a - sparse) > 1e-9))
                throw new NnzipException("--layer-amounts with --nm " + nm + " takes 0 (keep that layer dense) or " + sparse + " (apply " + nm + "), e.g. first=0,last=0");
        }
        LayerAmounts.parse(layerAmounts);
        if (io.nnzip.prune.oneshot.OneShotPruner.handles(method)) {
            if (mode.equals("structured")) throw new NnzipException("--method " + method + " prunes single weights: use it without --structured");
            if (schedule.inTraining() || (layerAmounts != null && mode.equals("unstructured")) || scope.equals("global"))
                throw new NnzipException("--method " + method + " is one-shot per layer: no --schedule gradual, --scope global, or --layer-amounts other than 0 with --nm");
        }
    }

    /** A config from option values by snake_case key (a recipe step, a Java caller); defaults for the rest. */
    public static PruneConfig of(Map<String, ?> values) { return Configs.of(PruneConfig.class, values); }

    @Override
    public String name() { return "prune"; }

    @Override
    public PassResult run(Model model, PassContext context) { return PrunePass.run(model, this, context).result(); }

    public boolean structured() { return mode.equals("structured"); }

    public int[] nmPair() {
        return parseNm(nm);
    }

    private static int[] parseNm(String nm) {
        String[] p = nm.split(":");
        try {
            if (p.length == 2) return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new NnzipException("--nm must look like 2:4, not '" + nm + "'");
    }

    /** The options that shaped the result (those of other modes left out), as the report shows them. */
    public Map<String, Object> toMap() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", mode);
        if (!mode.equals("nm")) {
            r.put("method", method);
            r.put("scope", scope);
            r.put("amount", amount);
            r.put("schedule", schedule.toString());
            if (layerAmounts != null) r.put("layer_amounts", layerAmounts);
        } else {
            r.put("nm", nm);
            if (!method.equals("magnitude")) r.put("method", method);
            if (layerAmounts != null) r.put("layer_amounts", layerAmounts);
        }
        r.put("finetune", finetune);
        r.put("seed", seed);
        if (amountPerLayer != null) {
            r.put("amount_per_layer", amountPerLayer);
            r.put("target_macs", targetMacs);
        }
        if (structured()) {
            r.put("calib_batches", calibBatches);
            if (roundTo > 1) r.put("round_to", roundTo);
        }
        if (finetune > 0) r.put("lr", lr);
        if (finetuneBudget > 0) r.put("finetune_budget_gmacs", finetuneBudget);
        if (replay != null) r.put("replay", replay);
        return r;
    }
}
