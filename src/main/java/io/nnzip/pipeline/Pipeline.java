package io.nnzip.pipeline;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.engine.ModelValidator;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.pass.Pass;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a recipe: each step is a pass ({@link Passes}) built from the step's options and run on the current model
 * with the run's {@link PassContext}; after each, the {@link Gate} decides. A step that breaks the model or spends
 * more than the recipe's accuracy budget is retried at the recipe's gentler settings, then rolled back (or the run
 * aborted), and the record says so. Every model that passes the gate is written to the work folder.
 */
public final class Pipeline {
    public record Result(List<StepRecord> steps, Path finalModel, Measurement baseline, Measurement last) {}

    private final Gate gate;
    private final Consumer<String> log;
    private final java.util.function.BiFunction<String, Map<String, ?>, Pass> passes;

    public Pipeline(Gate gate, Consumer<String> log) { this(gate, log, Passes::build); }

    /** A pipeline whose recipe steps name the passes {@code passes} builds (the built-in ones: {@link Passes#build}). */
    public Pipeline(Gate gate, Consumer<String> log, java.util.function.BiFunction<String, Map<String, ?>, Pass> passes) {
        this.gate = gate;
        this.log = log;
        this.passes = passes;
    }

    /** A pipeline gated on the context's validation split (random probes when it has none), logging to the context. */
    public static Pipeline of(Model input, PassContext ctx) { return new Pipeline(Gates.of(input, ctx.data(), ctx.threads()), ctx.log()); }

    /** Runs {@code recipe} on an in-memory model; intermediate and final models go to {@code workDir}. */
    public Result run(Model input, Recipe recipe, PassContext ctx, Path workDir) {
        Path in = workDir.resolve("input.onnx");
        OnnxWriter.write(input, in);
        return run(in, recipe, ctx, workDir);
    }

    public Result run(Path input, Recipe recipe, PassContext ctx, Path workDir) {
        Model model = io.nnzip.engine.ModelValidator.read(input);
        recipe = recipe.forModel(model.graph());
        log.accept("checking the input model in ONNX Runtime");
        Gate.Check base = gate.check(model, input, null, null);
        if (base.problem() != null) throw new NnzipException("the input model fails the gate: " + base.problem());
        int[] shape = base.output().shape();
        List<StepRecord> records = new ArrayList<>();
        records.add(new StepRecord("input", "", "baseline", List.of(), base.measurement(), Map.of()));
        Path current = input;
        Model currentModel = model;
        Tensor currentOut = base.output();
        Measurement currentM = base.measurement();
        for (int i = 0; i < recipe.steps().size(); i++) {
            Recipe.Step step = recipe.steps().get(i);
            List<Map<String, Object>> settings = step.attempts();
            List<StepRecord.Attempt> attempts = new ArrayList<>();
            StepRecord accepted = null;
            for (int a = 0; a < settings.size() && accepted == null; a++) {
                Map<String, Object> options = settings.get(a);
                Path out = workDir.resolve(String.format("step%d-%s%s.onnx", i + 1, step.step(), a == 0 ? "" : "-retry" + a));
                String shown = Recipe.show(options);
                log.accept(String.format("step %d/%d: %s %s", i + 1, recipe.steps().size(), step.step(), shown));
                PassResult result;
                RateRuns rate = step.ratePenalty() == null ? null : new RateRuns(step.ratePenalty());
                try {
                    result = passes.apply(step.step(), options).run(currentModel, rate == null ? ctx : rate.context(ctx));
                    if (rate != null) result = rate.record(step.step(), result);
                } catch (NnzipException e) {
                    attempts.add(new StepRecord.Attempt(shown, "failed: " + e.getMessage()));
                    continue;
                } catch (RuntimeException e) {
                    attempts.add(new StepRecord.Attempt(shown, "failed: " + e));
                    continue;
                }
                Model next;
                try {
                    OnnxWriter.write(result.model(), out);
                    next = OnnxReader.read(out);
                } catch (NnzipException e) {
                    attempts.add(new StepRecord.Attempt(shown, "wrote no readable model: " + e.getMessage()));
                    continue;
                }
                Gate.Check c = gate.check(next, out, currentOut, shape);
                String refusal = c.problem() != null ? c.problem() : overBudget(base.measurement(), c.measurement(), step.maxDrop() != null ? step.maxDrop() : recipe.budget());
                if (refusal != null) {
                    attempts.add(new StepRecord.Attempt(shown, refusal));
                    log.accept("  refused: " + refusal);
                    continue;
                }
                attempts.add(new StepRecord.Attempt(shown, ""));
                accepted = new StepRecord(step.step(), shown, a == 0 ? "kept" : "kept after retry", attempts, c.measurement(), result.report());
                current = out;
                currentModel = next;
                currentOut = c.output();
                currentM = c.measurement();
            }
            if (accepted == null) {
                if (step.onFail() == Recipe.OnFail.abort)
                    throw new NnzipException("step " + (i + 1) + " (" + step.step() + ") failed: " + attempts.getLast().outcome());
                accepted = new StepRecord(step.step(), step.args(), "rolled back", attempts, currentM, Map.of());
                log.accept("  rolled back: " + attempts.getLast().outcome());
            }
            records.add(accepted);
        }
        return new Result(records, current, base.measurement(), currentM);
    }

    static String overBudget(Measurement base, Measurement m, double budget) {
        if (base.accuracy() == null || m.accuracy() == null || Double.isInfinite(budget)) return null;
        double drop = base.accuracy() - m.accuracy();
        return drop > budget ? String.format("accuracy %.2f%% is %.2f points below the input's %.2f%% (budget %.2f)", m.accuracy(), drop, base.accuracy(), budget) : null;
    }
}
