package io.nnzip.cli;

import io.nnzip.pipeline.Recipe;
import io.nnzip.pipeline.Recipes;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "recipes", mixinStandardHelpOptions = true, description = "Lists the built-in compression recipes and their steps.")
public final class RecipesCommand extends BaseCommand {
    @Override
    protected Map<String, Object> execute() {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Recipe r : Recipes.all().values()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", r.name());
            x.put("description", r.description());
            x.put("max_drop", r.maxDrop());
            x.put("steps", lines(r.steps()));
            if (!r.encode().isEmpty()) x.put("encode", r.encode());
            if (r.transformer() != null) {
                Recipe.Variant v = r.transformer();
                Map<String, Object> t = new LinkedHashMap<>();
                if (v.maxDrop() != null) t.put("max_drop", v.maxDrop());
                if (v.steps() != null) t.put("steps", lines(v.steps()));
                if (v.encode() != null) t.put("encode", v.encode());
                x.put("transformer", t);
            }
            list.add(x);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("recipes", list);
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        for (Map<String, Object> x : (List<Map<String, Object>>) r.get("recipes")) {
            out.printf("%s  (accuracy budget %s points)%n  %s%n", x.get("name"), x.get("max_drop") == null ? "none" : x.get("max_drop"), x.get("description"));
            for (String s : (List<String>) x.get("steps")) out.println("    - " + s);
            if (x.containsKey("encode")) out.println("    - encode " + x.get("encode"));
            if (x.get("transformer") instanceof Map<?, ?> t) {
                out.printf("  on transformers%s:%n", t.containsKey("max_drop") ? " (accuracy budget " + t.get("max_drop") + " points)" : "");
                if (t.get("steps") instanceof List<?> ts) for (Object s : ts) out.println("    - " + s);
                if (t.containsKey("encode")) out.println("    - encode " + t.get("encode"));
            }
        }
    }

    private static List<String> lines(List<Recipe.Step> steps) {
        List<String> out = new ArrayList<>();
        for (Recipe.Step s : steps) out.add((s.step() + " " + s.args()).trim());
        return out;
    }
}
