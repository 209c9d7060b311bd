package io.nnzip.pipeline;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.engine.ModelValidator;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a recipe: each step is one of nnzip's commands reading the current model (first argument, or where
 * {@code {model}} stands in its options) and writing the next with {@code -o}; after
 * each, the {@link Gate} decides. A step that breaks the model or spends more than the recipe's accuracy budget
 * is retried at the recipe's gentler settings, then rolled back (or the run aborted), and the record says so.
 */
public final class Pipeline {
    /**
     * @param shared options handed to every step that accepts them (e.g. --data, --normalize), by option name;
     *               {@code --data} is also offered as {@code --calib-data} to steps that take that instead
     */
    public record Options(Map<String, String> shared, Path workDir) {}

    public record Result(List<StepRecord> steps, Path finalModel, Measurement baseline, Measurement last) {}

    private final StepExecutor exec;
    private final Gate gate;
    private final Consumer<String> log;

    public Pipeline(StepExecutor exec, Gate gate, Consumer<String> log) {
        this.exec = exec;
        this.gate = gate;
        this.log = log;
    }

    public Result run(Path input, Recipe recipe, Options opt) {
        for (Recipe.Step s : recipe.steps())
            if (!exec.exists(s.step())) throw new NnzipException("recipe '" + recipe.name() + "': unknown step command '" + s.step() + "'");
        Model model = ModelValidator.read(input);
        log.accept("checking the input model in ONNX Runtime");
        Gate.Check base = gate.check(model, input, null, null);
        if (base.problem() != null) throw new NnzipException("the input model fails the gate: " + base.problem());
        int[] shape = base.output().shape();
        List<StepRecord> records = new ArrayList<>();
        records.add(new StepRecord("input", "", "baseline", List.of(), base.measurement(), Map.of()));
        Path current = input;
        Tensor currentOut = base.output();
        Measurement currentM = base.measurement();
        for (int i = 0; i < recipe.steps().size(); i++) {
            Recipe.Step step = recipe.steps().get(i);
            List<List<String>> settings = new ArrayList<>();
            settings.add(step.argList());
            if (step.onFail() == Recipe.OnFail.retry)
                for (String r : step.retry()) settings.add(Recipe.override(step.argList(), Recipe.split(r)));
            List<StepRecord.Attempt> attempts = new ArrayList<>();
            StepRecord accepted = null;
            for (int a = 0; a < settings.size() && accepted == null; a++) {
                List<String> args = settings.get(a);
                Path out = opt.workDir().resolve(String.format("step%d-%s%s.onnx", i + 1, step.step(), a == 0 ? "" : "-retry" + a));
                String shown = String.join(" ", args);
                log.accept(String.format("step %d/%d: %s %s", i + 1, recipe.steps().size(), step.step(), shown));
                Map<String, Object> result;
                try {
                    result = exec.run(step.step(), commandLine(step.step(), current, args, out, opt.shared()));
                } catch (NnzipException e) {
                    attempts.add(new StepRecord.Attempt(shown, "failed: " + e.getMessage()));
                    continue;
                } catch (Exception e) {
                    attempts.add(new StepRecord.Attempt(shown, "failed: " + e));
                    continue;
                }
                Model next;
                try {
                    next = OnnxReader.read(out);
                } catch (NnzipException e) {
                    attempts.add(new StepRecord.Attempt(shown, "wrote no readable model: " + e.getMessage()));
                    continue;
                }
                Gate.Check c = gate.check(next, out, currentOut, shape);
                String refusal = c.problem() != null ? c.problem() : overBudget(base.measurement(), c.measurement(), recipe.budget());
                if (refusal != null) {
                    attempts.add(new StepRecord.Attempt(shown, refusal));
                    log.accept("  refused: " + refusal);
                    continue;
                }
                attempts.add(new StepRecord.Attempt(shown, ""));
                accepted = new StepRecord(step.step(), shown, a == 0 ? "kept" : "kept after retry", attempts, c.measurement(), result);
                current = out;
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

    List<String> commandLine(String cmd, Path in, List<String> args, Path out, Map<String, String> shared) {
        // a step whose command takes the model elsewhere than first (distill --teacher {model}) says where
        List<String> cl = new ArrayList<>();
        boolean placed = args.stream().anyMatch(a -> a.contains("{model}"));
        if (!placed) cl.add(in.toString());
        for (String a : args) cl.add(a.replace("{model}", in.toString()));
        Map<String, String> offer = new LinkedHashMap<>(shared);
        if (shared.containsKey("--data")) offer.putIfAbsent("--calib-data", shared.get("--data"));
        for (Map.Entry<String, String> e : offer.entrySet())
            if (exec.accepts(cmd, e.getKey()) && !args.contains(e.getKey())) {
                cl.add(e.getKey());
                cl.add(e.getValue());
            }
        cl.add("-o");
        cl.add(out.toString());
        return cl;
    }

    static String overBudget(Measurement base, Measurement m, double budget) {
        if (base.accuracy() == null || m.accuracy() == null || Double.isInfinite(budget)) return null;
        double drop = base.accuracy() - m.accuracy();
        return drop > budget ? String.format("accuracy %.2f%% is %.2f points below the input's %.2f%% (budget %.2f)", m.accuracy(), drop, base.accuracy(), budget) : null;
    }
}
