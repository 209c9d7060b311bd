package io.nnzip.quant.qat;

import io.nnzip.dist.WorkerSetup;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.quant.ChannelQuantizer;
import io.nnzip.train.Trainer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Int8 QAT's training step as plain values, so the driver and every data-parallel worker build the same
 * {@link ActivationQat} hook around their Trainer of the simulation graph (the float graph with FakeQuantize nodes).
 *
 * @param weights    int8 weights by initializer name → output-channel axis (projected before each forward pass)
 * @param perChannel per-channel weight scales (else one per tensor)
 * @param ranges     activation ranges learned (log-scales) or tracked (EMA of batch min/max)
 * @param sites      the FakeQuantize nodes of the simulation graph, with their calibrated parameters
 */
public record QatSpec(Map<String, Integer> weights, boolean perChannel, ActivationQat.Ranges ranges, List<FakeQuantGraph.Site> sites)
        implements WorkerSetup {
    public QatSpec {
        weights = new LinkedHashMap<>(weights);
        sites = List.copyOf(sites);
    }

    /** Shadow weights as extra parameters, the projected weights (and learned scales) derived, the hook added; sets {@code sim}'s scales from the hook's state. */
    @Override
    public ActivationQat.Hook start(Model sim, Trainer.Options o) {
        Map<String, QuantizedParam> shadows = new LinkedHashMap<>();
        weights.forEach((w, axis) -> shadows.put(w, QuantizedParam.shadow(w, sim.graph().initializer(w), axis,
                (t, a) -> ChannelQuantizer.quantize(t, a, perChannel, DType.INT8).dequantized())));
        for (QuantizedParam q : shadows.values()) o.extraParam(q.param());
        ActivationQat.Hook hook = new ActivationQat.Hook(shadows, sites, ranges);
        // the first step already reads the scales as every later one does (exp of the log-scale, or from the range), so a
        // copy that derives them after an exchange computes what a single process computes
        hook.writeRanges(sim.graph());
        o.hook(hook);
        o.derived(shadows.keySet());
        if (ranges == ActivationQat.Ranges.LEARNED) o.alsoTrain(hook.logScales.keySet()).derived(hook.logScales.keySet());
        return hook;
    }
}
