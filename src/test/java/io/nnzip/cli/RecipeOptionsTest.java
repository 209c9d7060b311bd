package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.pipeline.Recipe;
import io.nnzip.pipeline.Recipes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every built-in recipe's steps and retries build their pass configs, and its encode options parse in their command,
 * stay inside the option ranges and use no renamed (deprecated) name: a recipe is checked when it is written, not when a user's run reaches it.
 */
class RecipeOptionsTest {
    static List<String> problems(String recipe, String command, List<String> options) {
        List<String> out = new ArrayList<>();
        CommandLine c = InProcessSteps.sub(command);
        // placed as the pipeline places it: first, unless the step says where ({model}); diff takes base and new
        List<String> args = new ArrayList<>();
        if (options.stream().noneMatch(o -> o.contains("{model}"))) args.add("model.onnx");
        if (command.equals("diff")) args.add("new.onnx");
        for (String o : options) args.add(o.replace("{model}", "model.onnx"));
        if (c.getCommandSpec().findOption("--output") != null && !options.contains("-o")) args.addAll(List.of("-o", "out.onnx"));
        for (String o : options)
            if (o.startsWith("--") && Deprecations.find(command, o) != null) out.add(recipe + ": " + command + " " + o + " is deprecated (" + Deprecations.find(command, o).now() + ")");
        try {
            OptionRules.check(c.parseArgs(args.toArray(String[]::new)));
        } catch (CommandLine.ParameterException e) {
            out.add(recipe + ": " + command + " " + String.join(" ", options) + ": " + e.getMessage());
        }
        return out;
    }

    @Test
    void everyBuiltInRecipeParsesInItsCommands() {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (String name : Recipes.BUILT_IN) {
            Recipe r = Recipes.builtIn(name);
            // steps and retries are typed pass configs: building each one checks its options (names, types, values)
            try {
                r.check();
            } catch (RuntimeException e) {
                problems.add(name + ": " + e.getMessage());
            }
            checked += r.steps().size();
            if (!r.encode().isEmpty()) checked++;
        }
        // at least one step per recipe 
        assertTrue(checked >= Recipes.BUILT_IN.size() + 5, "checked " + checked);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }
}
