package io.nnzip.prune;

import io.nnzip.ir.NnzipException;
import io.nnzip.prune.schedule.Schedule;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every option of a prune, recorded verbatim in the output model's metadata ({@code nnzip.prune.options}) so
 * the result can be reproduced from its own file.
 *
 * @param mode          unstructured (zero single weights), structured (remove channels) or nm (N:M sparsity)
 * @param method        unstructured: magnitude | l1 | l2 | random; structured: l1-filter | l2-filter | bn-scale |
 *                      apoz | mean-activation | hrank | random
 * @param scope         layer: every layer (group) reaches the amount; global: one ranking across the network
 * @param amount        share of weights (unstructured) or of channels per coupled group (structured) to remove
 * @param nm            "N:M", keep N of every M consecutive weights (mode nm)
 * @param schedule      oneshot | iterative:STEPS | agp:STEPS
 * @param finetuneEpochs epochs of fine-tuning spread over the schedule's steps (0 = none)
 * @param seed          seed of random criteria and of calibration sampling
 * @param amountPerLayer null (uniform) or "auto": per-group amounts from a sensitivity scan
 * @param targetMacs    with auto: fraction of the original MACs to keep
 * @param calibBatches  calibration batches for activation criteria and sensitivity
 * @param roundTo       structured: keep a multiple of this many channels per coupled group (1 = exact amount)
 * @param layerAmounts  unstructured: {@link LayerAmounts} spec (e.g. "last=0.75") or null
 */
public record PruneConfig(String mode, String method, String scope, double amount, String nm, Schedule schedule,
                          int finetuneEpochs, long seed, String amountPerLayer, double targetMacs, int calibBatches, int roundTo,
                          String layerAmounts) {
    public PruneConfig(String mode, String method, String scope, double amount, String nm, Schedule schedule,
                       int finetuneEpochs, long seed, String amountPerLayer, double targetMacs, int calibBatches, int roundTo) {
        this(mode, method, scope, amount, nm, schedule, finetuneEpochs, seed, amountPerLayer, targetMacs, calibBatches, roundTo, null);
    }

    public PruneConfig {
        if (!(amount >= 0 && amount < 1)) throw new NnzipException("--amount must be in [0, 1), got " + amount);
        if (!scope.equals("layer") && !scope.equals("global")) throw new NnzipException("--scope must be layer or global, not '" + scope + "'");
        if (finetuneEpochs < 0) throw new NnzipException("--finetune must be ≥ 0");
        if (roundTo < 1) throw new NnzipException("--round-to must be ≥ 1");
        if (schedule == null) schedule = Schedule.parse("oneshot");
        if (!mode.equals("unstructured") && schedule.inTraining()) throw new NnzipException("--schedule gradual applies to unstructured pruning");
        if (!mode.equals("unstructured") && layerAmounts != null) throw new NnzipException("--layer-amounts applies to unstructured pruning");
        LayerAmounts.parse(layerAmounts);
    }

    public boolean structured() { return mode.equals("structured"); }

    public int[] nmPair() {
        String[] p = nm.split(":");
        try {
            if (p.length == 2) return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new NnzipException("--nm must look like 2:4, not '" + nm + "'");
    }

    public Map<String, Object> toMap() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", mode);
        if (!mode.equals("nm")) {
            r.put("method", method);
            r.put("scope", scope);
            r.put("amount", amount);
            r.put("schedule", schedule.toString());
            if (layerAmounts != null) r.put("layer_amounts", layerAmounts);
        } else r.put("nm", nm);
        r.put("finetune", finetuneEpochs);
        r.put("seed", seed);
        if (amountPerLayer != null) {
            r.put("amount_per_layer", amountPerLayer);
            r.put("target_macs", targetMacs);
        }
        if (structured()) {
            r.put("calib_batches", calibBatches);
            if (roundTo > 1) r.put("round_to", roundTo);
        }
        return r;
    }
}
