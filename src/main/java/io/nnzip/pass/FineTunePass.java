package io.nnzip.pass;

import io.nnzip.ir.Model;
import java.util.LinkedHashMap;
import java.util.Map;

/** Trains a model further on the context's training split (the recipe step "train": an update of a deployed model). */
public record FineTunePass(
        @Setting(value = "training epochs", dflt = "1") int epochs,
        @Setting(value = "peak learning rate", dflt = "0.001") float lr,
        @Setting(value = "optimizer: adam or sgd", dflt = "adam") String optimizer,
        @Setting(value = "learning-rate schedule: constant, step or cosine", dflt = "constant") String schedule,
        @Setting(value = "seed of the data order", dflt = "0") long seed) implements Pass {

    public FineTunePass {
        if (epochs < 1) throw new io.nnzip.ir.NnzipException("train epochs must be ≥ 1");
    }

    public static FineTunePass of(Map<String, ?> values) { return Configs.of(FineTunePass.class, values); }

    @Override
    public String name() { return "train"; }

    @Override
    public PassResult run(Model model, PassContext ctx) {
        Model in = ctx.prepare(model);
        FineTuning.Outcome o = ctx.fineTuning().run(in, new FineTuning.Request(epochs, lr, optimizer, schedule, seed, null, null));
        Map<String, Object> report = new LinkedHashMap<>(Configs.toMap(this));
        report.put("accuracy", ctx.fineTuning().accuracy(o.model()));
        report.put("seconds_per_epoch", o.report().meanEpochSeconds());
        ctx.normalization(in).writeTo(o.model());
        Map<String, Object> prov = Provenance.record(o.model(), name(), this, Map.of("data", ctx.data().describe()), null);
        return new PassResult(o.model(), report, prov);
    }
}
