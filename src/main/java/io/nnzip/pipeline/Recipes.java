package io.nnzip.pipeline;

import io.nnzip.ir.NnzipException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The built-in recipes (YAML resources under /recipes) and lookup of a recipe by name or file. */
public final class Recipes {
    public static final List<String> BUILT_IN = List.of("deep-compression", "edge-int8", "tiny", "lowrank", "update", "record-mlp", "record-cnn", "transformer-int8", "transformer-int4");

    private Recipes() {}

    public static Recipe builtIn(String name) {
        try (InputStream in = Recipes.class.getResourceAsStream("/recipes/" + name + ".yaml")) {
            if (in == null) throw new NnzipException("no built-in recipe '" + name + "' (built-in: " + String.join(", ", BUILT_IN) + ")");
            return Recipe.parse(in, "recipe " + name);
        } catch (java.io.IOException e) {
            throw new NnzipException("cannot read built-in recipe " + name);
        }
    }

    /** A built-in name, or a path to a YAML file. */
    public static Recipe resolve(String nameOrFile) {
        Path p = Path.of(nameOrFile);
        if (nameOrFile.endsWith(".yaml") || nameOrFile.endsWith(".yml") || Files.exists(p)) return Recipe.load(p);
        return builtIn(nameOrFile);
    }

    public static Map<String, Recipe> all() {
        Map<String, Recipe> m = new LinkedHashMap<>();
        for (String n : BUILT_IN) m.put(n, builtIn(n));
        return m;
    }
}
