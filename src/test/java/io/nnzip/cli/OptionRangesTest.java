package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Every numeric option of every command, given 0, -1 and a huge value, ends in a legitimate meaning or in a one-line
 * error naming the option — never an internal error, a stack trace or a hang. The inputs do not exist, so an accepted
 * value runs into "no such file" right after the option checks; a rejected one must be rejected by its range.
 */
class OptionRangesTest {
    @TempDir Path dir;

    static String huge(OptionSpec o) {
        String t = CliVocabularyTest.typeOf(o);
        Class<?> c = o.type().isArray() ? o.type().getComponentType() : o.type();
        if (t.equals("NUM")) return "1e30";
        return c == long.class || c == Long.class ? Long.toString(Long.MAX_VALUE) : Integer.toString(Integer.MAX_VALUE);
    }

    /** The smallest command line that gets past picocli's own required checks, with inputs that do not exist. */
    List<String> base(String cmd, CommandSpec s) {
        List<String> a = new ArrayList<>(List.of(cmd));
        // optional positionals too: bench-codec without a model would benchmark its synthetic one
        for (PositionalParamSpec p : s.positionalParameters()) a.add(dir.resolve("missing.onnx").toString());
        for (OptionSpec o : s.options()) {
            if (!o.required()) continue;
            a.add(o.longestName());
            String t = CliVocabularyTest.typeOf(o);
            if (t.equals("FLAG")) continue;
            if (t.equals("PATH")) a.add(dir.resolve(o.longestName().equals("--output") ? "out.bin" : "missing.onnx").toString());
            else a.add(switch (o.longestName()) {
                case "--method" -> "svd";
                case "--recipe" -> "deep-compression";
                case "--student" -> "mlp";
                default -> "x";
            });
        }
        if (s.findOption("--data") != null) a.addAll(List.of("--data", dir.resolve("missing-data").toString()));
        return a;
    }

    private static final java.util.Set<String> RUN_UNTIL_STOPPED = java.util.Set.of("demo", "serve");

    @Test
    void everyNumericOptionAtZeroMinusOneAndHuge() {
        List<String> problems = new ArrayList<>();
        int cases = 0;
        for (Map.Entry<String, CommandSpec> e : CliVocabularyTest.commands().entrySet()) {
            String cmd = e.getKey();
            for (OptionSpec o : e.getValue().options()) {
                String t = CliVocabularyTest.typeOf(o);
                if (!t.equals("INT") && !t.equals("NUM")) continue;
                String name = OptionRules.primary(o);
                OptionRules.Range range = OptionRules.RANGES.get(name);
                assertNotNull(range, cmd + " " + name + " has no range in OptionRules");
                for (String v : List.of("0", "-1", huge(o))) {
                    cases++;
                    List<String> args = base(cmd, e.getValue());
                    args.addAll(List.of(name, v));
                    boolean inRange = range.holds(Double.parseDouble(v));
                    // a rejected value never reaches the command: the option checks alone say so (and are cheaper than a
                    // full run, which builds every command's model); accepted values run for real
                    Class<?> type = e.getValue().userObject().getClass();
                    String problem = RUN_UNTIL_STOPPED.contains(cmd) || !inRange ? checkOnly(type, args, inRange, name) : runOne(type, args, inRange, name);
                    if (problem != null) problems.add(String.join(" ", args) + ": " + problem);
                }
            }
        }
        assertTrue(cases > 200, "enumerated " + cases);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** Runs one command as Main does (same handlers and checks) without building all 24 commands' models each time. */
    private static String runOne(Class<?> type, List<String> args, boolean inRange, String name) {
        String[] rest = args.subList(1, args.size()).toArray(String[]::new);
        CliErrorsTest.Outcome o = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> CliErrorsTest.capture(() -> Main.configure(new CommandLine(type)).execute(rest)), () -> "hang: " + args);
        if (o.err().contains("internal error") || o.err().contains("\tat ")) return "internal error: " + o.err();
        List<String> errors = o.err().lines().filter(l -> l.startsWith("nnzip: error: ")).toList();
        if (o.code() == 0) return inRange ? null : "accepted an out-of-range value";
        if (errors.size() != 1) return "expected one error line, got: " + o.err();
        String err = errors.getFirst();
        if (!inRange && !(err.contains(name) && err.contains("out of range"))) return "not rejected by its range: " + err;
        if (inRange && err.contains("out of range")) return "in range yet rejected: " + err;
        return null;
    }

    /** demo would train and serve would listen until stopped when a value is accepted: only the option checks run. */
    private static String checkOnly(Class<?> type, List<String> args, boolean inRange, String name) {
        CommandLine cl = new CommandLine(type);
        try {
            OptionRules.check(cl.parseArgs(args.subList(1, args.size()).toArray(String[]::new)));
            return inRange ? null : "accepted an out-of-range value";
        } catch (CommandLine.ParameterException ex) {
            return !inRange && ex.getMessage().contains(name) && ex.getMessage().contains("out of range") && !ex.getMessage().contains("\n")
                    ? null : "unexpected: " + ex.getMessage();
        }
    }

    @Test
    void hundredThousandThreadsIsAnImmediateOneLineError() {
        CliErrorsTest.Outcome o = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> CliErrorsTest.run("run", dir.resolve("m.onnx").toString(), "--input", dir.resolve("x.npy").toString(), "--threads", "100000"));
        CliErrorsTest.assertOneLineError(o, "--threads 100000 is out of range");
    }

    @Test
    void outputIntoAMissingFolderIsAnErrorNamingTheTarget() {
        Path target = dir.resolve("no/such/folder/out.onnx");
        CliErrorsTest.Outcome o = CliErrorsTest.run("decode", dir.resolve("m.nnz").toString(), "-o", target.toString());
        CliErrorsTest.assertOneLineError(o, target.toString(), "no such folder");
        assertFalse(java.nio.file.Files.exists(dir.resolve("no")), "no folder created");
    }

    @Test
    void unwritableTargetSaysWhy() throws Exception {
        Path ro = dir.resolve("ro");
        java.nio.file.Files.createDirectory(ro);
        assertTrue(ro.toFile().setWritable(false, false));
        try {
            // root may write into a read-only-mode folder; sysfs refuses new files even to root
            Path target = java.nio.file.Files.isWritable(ro) ? Path.of("/sys/nnzip-test-out.onnx") : ro.resolve("out.onnx");
            org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(target.getParent()), "no unwritable folder to try");
            CliErrorsTest.Outcome o = CliErrorsTest.run("decode", dir.resolve("m.nnz").toString(), "-o", target.toString());
            CliErrorsTest.assertOneLineError(o, target.toString());
            assertTrue(o.err().contains("permission denied") || o.err().contains("read-only"), o.err());
            assertFalse(o.err().contains(".tmp"), "names the target, not the temporary file: " + o.err());
        } finally {
            ro.toFile().setWritable(true, false);
        }
    }
}
