package io.nnzip.cli;

import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Option names renamed so that one name has one meaning across commands. The old names stay declared as second
 * names of the new options for one release; using one prints a single warning line on stderr. docs/CLI.md lists
 * the same table (CliVocabularyTest holds the two together).
 */
final class Deprecations {
    private Deprecations() {}

    /** One rename: in {@code command}, {@code old} is now {@code now}. */
    record Rename(String command, String old, String now) {}

    static final List<Rename> RENAMES = List.of(
            new Rename("prune", "--ft-lr", "--lr"),
            new Rename("prune", "--schedule", "--prune-schedule"),
            new Rename("prune", "--batch-size", "--calib-batch-size"),
            new Rename("sensitivity", "--batch-size", "--calib-batch-size"),
            new Rename("dynamic", "--joint-lr", "--lr"),
            new Rename("bench", "--layers", "--per-layer"),
            new Rename("quantize", "--train-limit", "--limit"),
            new Rename("quantize", "--calib-size", "--calib-images"),
            new Rename("redesign", "--calib-samples", "--calib-images"),
            new Rename("redesign", "--teacher", "--original-teacher"),
            new Rename("redesign", "--no-teacher", "--no-original-teacher"),
            new Rename("conformance", "--dir", "--suite-dir"));

    static Rename find(String command, String name) {
        for (Rename r : RENAMES) if (r.command.equals(command) && r.old.equals(name)) return r;
        return null;
    }

    /** Prints one line per deprecated name the user typed for the command that will run. */
    static void warn(CommandLine.ParseResult leaf) {
        String command = leaf.commandSpec().name();
        for (String arg : leaf.originalArgs()) {
            String name = arg.startsWith("--") && arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            Rename r = find(command, name);
            if (r != null) System.err.println("nnzip: warning: " + command + " " + r.old + " is deprecated, use " + r.now + " (the old name goes in the next release)");
        }
    }

    /** Renames by command, for docs and tests. */
    static Map<String, String> of(String command) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (Rename r : RENAMES) if (r.command.equals(command)) m.put(r.old, r.now);
        return m;
    }
}
