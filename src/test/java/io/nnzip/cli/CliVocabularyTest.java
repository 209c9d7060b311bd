package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * docs/CLI.md is the contract: every option of every command, read through picocli's own model, must have its row
 * there, with the row's type, range and default; one name never carries two of them. Failures are collected so one
 * run lists every clash.
 */
class CliVocabularyTest {
    /** One row of the options table. */
    record Row(List<String> names, String type, String range, String defaults, Set<String> commands) {}

    static final Path DOC = Path.of("docs/CLI.md");

    static Map<String, CommandSpec> commands() {
        Map<String, CommandSpec> m = new TreeMap<>();
        new CommandLine(new Main()).getSubcommands().forEach((n, c) -> {
            if (!n.equals("help")) m.put(n, c.getCommandSpec());
        });
        return m;
    }

    static List<String> cells(String line) {
        String[] c = line.strip().split("\\|", -1);
        List<String> out = new ArrayList<>();
        for (int i = 1; i < c.length - 1; i++) out.add(c[i].strip());
        return out;
    }

    static List<String> ticked(String cell) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("`([^`]*)`").matcher(cell);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    static Map<String, Row> rows(Set<String> allCommands) throws Exception {
        String doc = Files.readString(DOC);
        String options = doc.substring(doc.indexOf("## Options"), doc.indexOf("## Renamed options"));
        Map<String, Row> rows = new LinkedHashMap<>();
        for (String line : options.lines().toList()) {
            if (!line.startsWith("| `")) continue;
            List<String> c = cells(line);
            assertEquals(6, c.size(), "six cells: " + line);
            List<String> names = ticked(c.get(0));
            Set<String> cmds = c.get(5).equals("every command") ? allCommands : new TreeSet<>(Arrays.asList(c.get(5).split(",\\s*")));
            String primary = names.stream().filter(n -> n.startsWith("--")).findFirst().orElseThrow();
            assertNull(rows.put(primary, new Row(names, c.get(2), c.get(3), c.get(4), cmds)), "two rows for " + primary);
        }
        return rows;
    }

    /** The documented default for one command: a single value, or the value listed with that command. */
    static String defaultFor(String cell, String command) {
        if (cell.equals("—")) return null;
        Matcher m = Pattern.compile("`([^`]*)`([^`;]*)").matcher(cell);
        String all = null;
        while (m.find()) {
            String v = m.group(1).equals("—") ? null : m.group(1);
            List<String> cmds = Arrays.stream(m.group(2).split("[,\\s]+")).filter(s -> !s.isBlank()).toList();
            if (cmds.isEmpty()) all = v;
            else if (cmds.contains(command)) return v;
        }
        return all;
    }

    static String typeOf(OptionSpec o) {
        if (Map.class.isAssignableFrom(o.type())) return "TENSOR=INT";
        Class<?> t = o.type().isArray() ? o.type().getComponentType()
                : Collection.class.isAssignableFrom(o.type()) ? o.auxiliaryTypes()[0] : o.type();
        if (t == boolean.class || t == Boolean.class) return "FLAG";
        if (t == int.class || t == Integer.class || t == long.class || t == Long.class) return "INT";
        if (t == float.class || t == Float.class || t == double.class || t == Double.class) return "NUM";
        if (t == Path.class) return "PATH";
        if (t == String.class) return "TEXT";
        return t.getSimpleName();
    }

    @Test
    void everyOptionHasOneMeaningAndItsRowInDocsCliMd() throws Exception {
        Map<String, CommandSpec> cmds = commands();
        Map<String, Row> rows = rows(cmds.keySet());
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> seen = new TreeMap<>();
        for (var e : cmds.entrySet()) {
            String cmd = e.getKey();
            for (OptionSpec o : e.getValue().options()) {
                String p = OptionRules.primary(o);
                for (String alias : o.names()) {
                    if (alias.equals(p) || !alias.startsWith("--")) continue;
                    Deprecations.Rename r = Deprecations.find(cmd, alias);
                    if (r == null || !r.now().equals(p)) problems.add(cmd + " " + alias + ": a second long name must be a deprecated alias of " + p);
                }
                if (o.hidden()) {
                    if (Deprecations.find(cmd, p) == null) problems.add(cmd + " " + p + ": hidden but not a renamed option");
                    continue;
                }
                seen.computeIfAbsent(p, k -> new TreeSet<>()).add(cmd);
                Row row = rows.get(p);
                if (row == null) {
                    problems.add(p + " (" + cmd + ") is missing from docs/CLI.md");
                    continue;
                }
                if (!row.commands().contains(cmd)) problems.add(p + ": docs/CLI.md does not list " + cmd);
                if (!row.type().equals(typeOf(o))) problems.add(p + " in " + cmd + " is " + typeOf(o) + ", docs/CLI.md says " + row.type());
                String declared = o.defaultValue();
                String documented = defaultFor(row.defaults(), cmd);
                if (!Objects.equals(declared, documented))
                    problems.add(p + " in " + cmd + " defaults to " + declared + ", docs/CLI.md says " + documented);
                OptionRules.Range range = OptionRules.RANGES.get(p);
                boolean numeric = row.type().equals("INT") || row.type().equals("NUM");
                if (numeric && range == null) problems.add(p + ": numeric but no range in OptionRules");
                if (range != null && !range.text().equals(row.range())) problems.add(p + ": range is " + range.text() + ", docs/CLI.md says " + row.range());
                if (!numeric && !row.range().isEmpty()) problems.add(p + ": a range for a " + row.type() + " option");
            }
        }
        rows.forEach((name, row) -> {
            Set<String> actual = seen.getOrDefault(name, Set.of());
            for (String c : row.commands()) if (!actual.contains(c)) problems.add(name + ": docs/CLI.md lists " + c + ", which does not take it");
        });
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void renamedOptionsTableMatchesTheCode() throws Exception {
        String doc = Files.readString(DOC);
        Set<List<String>> documented = new HashSet<>();
        for (String line : doc.substring(doc.indexOf("## Renamed options")).lines().toList()) {
            if (!line.startsWith("| ") || line.startsWith("| Command") || line.startsWith("|---")) continue;
            List<String> c = cells(line);
            documented.add(List.of(c.get(0), ticked(c.get(1)).getFirst(), ticked(c.get(2)).getFirst()));
        }
        Set<List<String>> code = new HashSet<>();
        for (Deprecations.Rename r : Deprecations.RENAMES) code.add(List.of(r.command(), r.old(), r.now()));
        assertEquals(code, documented);
        // each old name still parses in its command (one release of grace)
        Map<String, CommandSpec> cmds = commands();
        for (Deprecations.Rename r : Deprecations.RENAMES) {
            CommandSpec s = cmds.get(r.command());
            String old = r.old().startsWith("--no-") && s.findOption(r.old()) == null ? "--" + r.old().substring(5) : r.old();
            assertNotNull(s.findOption(old), r.command() + " " + r.old());
        }
    }

    @Test
    void dataOptionsAreOneDeclarationWhereverDataIsRead() {
        for (var e : commands().entrySet()) {
            CommandSpec s = e.getValue();
            boolean any = false;
            for (String n : List.of("--data", "--normalize", "--limit", "--no-progress")) any |= s.findOption(n) != null;
            if (!any) continue;
            boolean mixin = s.mixins().values().stream().anyMatch(m -> m.userObject() instanceof DataOptions);
            assertTrue(mixin, e.getKey() + " declares data options itself instead of the DataOptions mixin");
        }
    }

    @Test
    void deprecatedNameWarnsOnceAndStillWorks(@org.junit.jupiter.api.io.TempDir Path dir) {
        CliErrorsTest.Outcome o = CliErrorsTest.run("prune", dir.resolve("missing.onnx").toString(), "--ft-lr", "0.01", "-o", dir.resolve("o.onnx").toString());
        List<String> lines = o.err().lines().toList();
        assertEquals(2, lines.size(), o.err());
        assertEquals("nnzip: warning: prune --ft-lr is deprecated, use --lr (the old name goes in the next release)", lines.get(0));
        assertTrue(lines.get(1).startsWith("nnzip: error: ") && lines.get(1).contains("missing.onnx"), o.err());
    }
}
