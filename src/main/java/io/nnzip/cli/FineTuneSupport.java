package io.nnzip.cli;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.distill.DistillConfig;
import io.nnzip.distill.Distiller;
import io.nnzip.ir.Model;
import io.nnzip.train.Progress;
import io.nnzip.train.Trainer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * End-to-end fine-tuning after a structural rewrite (factorize, redesign), with the accuracy of the original,
 * of the rewrite before fine-tuning and after it on the test split: the figures that say what the rewrite cost.
 */
final class FineTuneSupport {
    record Outcome(Model model, Map<String, Object> report) {}

    private FineTuneSupport() {}

    /** Soft targets from the original model (knowledge distillation) instead of hard labels alone. */
    record Teacher(float temperature, float alpha) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("temperature", temperature);
            m.put("alpha", alpha);
            return m;
        }
    }

    static Outcome finetune(Model original, Model rewritten, DataOptions data, String command, int epochs, float lr, String schedule, long seed,
                            boolean progress) {
        return finetune(original, rewritten, data, command, epochs, lr, schedule, seed, progress, null);
    }

    /** @param teacher null for hard labels; otherwise the original model teaches the rewrite through {@link Distiller} */
    static Outcome finetune(Model original, Model rewritten, DataOptions data, String command, int epochs, float lr, String schedule, long seed,
                            boolean progress, Teacher teacher) {
        return finetune(original, rewritten, data, command, epochs, lr, schedule, seed, progress, teacher, "adam", 0f);
    }

    /**
     * @param optimizer adam, sgd or adamw
     * @param adderEta > 0: AdderNet's adaptive learning rate ({@link io.nnzip.train.AdderLr}) on the rewrite's adder filters
     */
    static Outcome finetune(Model original, Model rewritten, DataOptions data, String command, int epochs, float lr, String schedule, long seed,
                            boolean progress, Teacher teacher, String optimizer, float adderEta) {
        java.util.function.Consumer<Trainer.Options> setup = o -> {
            o.optimizer(optimizer);
            if (adderEta > 0) o.hook(new io.nnzip.train.AdderLr(rewritten.graph(), adderEta));
        };
        if (teacher == null) {
            // hard labels: the one fine-tuning service, as the passes use it
            Map<String, Object> rep = new LinkedHashMap<>();
            io.nnzip.pass.PassContext ctx = data.context(seed).progressOn(progress).build();
            data.requireData(command);
            Model tuned = ctx.fineTuning().afterRewrite(original, rewritten, new io.nnzip.pass.FineTuning.Request(epochs, lr, optimizer, schedule, seed, null, null).setup(setup), rep).model();
            return new Outcome(tuned, rep);
        }
        Dataset train = data.load(command, "train"), test = data.load(command, "test");
        Normalization norm = data.normalization(original);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("epochs", epochs);
        r.put("lr", lr);
        r.put("schedule", schedule);
        r.put("objective", teacher == null ? "hard labels" : "distillation from the original model");
        if (teacher != null) r.put("teacher", teacher.toJson());
        r.put("accuracy_original", Distiller.accuracy(original, test, norm));
        r.put("accuracy_rewritten", Distiller.accuracy(rewritten, test, norm));
        Model tuned = rewritten;
        if (epochs > 0 && teacher != null) {
            // the original is the best teacher the rewrite can have: same data, same task, and the rewrite starts as its approximation
            DistillConfig cfg = new DistillConfig(teacher.temperature(), teacher.alpha(), List.of(), 0f, epochs, 128, lr, seed, schedule, true);
            Distiller.Result d = Distiller.run(rewritten, List.of(original), cfg, train, test, norm, false, new Progress(System.err, progress), setup);
            tuned = d.student();
            r.put("seconds_per_epoch", d.secondsPerEpoch());
            r.put("accuracy_finetuned", d.studentAccuracy());
        } else if (epochs > 0) {
            Trainer.Options o = new Trainer.Options().epochs(epochs).lr(lr).schedule(schedule).seed(seed);
            setup.accept(o);
            try (Trainer t = new Trainer(rewritten, o)) {
                Trainer.Report rep = t.fit(train, null, norm, new Progress(System.err, progress));
                tuned = t.model().copy();
                r.put("seconds_per_epoch", rep.meanEpochSeconds());
            }
            r.put("accuracy_finetuned", Distiller.accuracy(tuned, test, norm));
        }
        float base = (Float) r.get("accuracy_original"), last = (Float) r.get(epochs > 0 ? "accuracy_finetuned" : "accuracy_rewritten");
        r.put("drop_points", 100 * (base - last));
        norm.writeTo(tuned);
        if (epochs > 0) {
            Map<String, Object> opts = new LinkedHashMap<>();
            opts.put("epochs", epochs);
            opts.put("lr", lr);
            opts.put("schedule", schedule);
            opts.put("seed", seed);
            opts.put("optimizer", optimizer);
            if (adderEta > 0) opts.put("adder_eta", adderEta);
            if (teacher != null) opts.put("teacher", teacher.toJson());
            opts.put("data", data.data);
            opts.put("limit", data.limit);
            io.nnzip.pass.Provenance.record(tuned, command.split(" ")[0] + ".finetune", opts, null, null);
        }
        return new Outcome(tuned, r);
    }
}
