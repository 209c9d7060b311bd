package io.nnzip.hostile;

import io.nnzip.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The golden-error corpus: {@code src/test/resources/golden-errors/NAME/} holds each crafted case's files and
 * {@code MANIFEST.tsv} one line per case (name, input file, command, the exact error line). {@link #main} rewrites
 * the corpus from {@link HostileInputs#crafted()} and the current messages, for review in the diff.
 */
public final class GoldenErrors {
    public static final String SENTINEL = "SENTINEL-OUTSIDE-THE-MODEL-FOLDER\n";

    public record Entry(String name, String input, String command, String expected) {}

    public record Outcome(int code, String out, String err) {}

    private GoldenErrors() {}

    public static List<Entry> manifest(Path root) throws IOException {
        List<Entry> es = new ArrayList<>();
        for (String line : Files.readAllLines(root.resolve("MANIFEST.tsv"))) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split("\t", -1);
            es.add(new Entry(f[0], f[1], f[2], f[3]));
        }
        return es;
    }

    /**
     * Lays a case out as a hostile download would be: its files in {@code work/case/}, a sentinel file next to that
     * folder (which no read may touch), an empty {@code work/out/} for outputs. Returns the case folder.
     */
    public static Path layOut(Map<String, byte[]> files, Path work) throws IOException {
        Path dir = Files.createDirectories(work.resolve("case"));
        Files.createDirectories(work.resolve("out"));
        Files.writeString(work.resolve("sentinel.bin"), SENTINEL.repeat(128));
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            if (f.getKey().endsWith(".symlink"))
                Files.createSymbolicLink(dir.resolve(f.getKey().substring(0, f.getKey().length() - 8)), Path.of(new String(f.getValue(), StandardCharsets.UTF_8)));
            else Files.write(dir.resolve(f.getKey()), f.getValue());
        }
        return dir;
    }

    public static String[] args(String command, Path dir, String input, Path out) {
        return command.replace("{in}", dir.resolve(input).toString()).replace("{dir}", dir.toString())
                .replace("{out}", out.toString()).split(" ");
    }

    /** Runs the CLI entry point in this JVM, capturing what it prints. */
    public static synchronized Outcome run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The output path a command gets: a file for most, a folder name for {@code unpack}. */
    public static Path outFor(String command, Path work) {
        return work.resolve("out").resolve(command.startsWith("unpack") ? "unpacked" : command.startsWith("decode") ? "model.onnx" : "out.nnz");
    }

    /** Writes the corpus into {@code args[0]} (default src/test/resources/golden-errors). */
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources/golden-errors");
        Files.createDirectories(root);
        StringBuilder m = new StringBuilder("# name\tinput\tcommand\texpected one-line error ({dir} = the case's folder, {out} = the output path)\n");
        for (HostileInputs.Case c : HostileInputs.crafted()) {
            Path caseDir = root.resolve(c.name());
            Files.createDirectories(caseDir);
            for (Map.Entry<String, byte[]> f : c.files().entrySet()) Files.write(caseDir.resolve(f.getKey()), f.getValue());
            Path work = Files.createTempDirectory("golden");
            Path dir = layOut(c.files(), work);
            String command = String.join(" ", c.command());
            String input = c.files().keySet().iterator().next();
            Path out = outFor(command, work);
            Outcome o = run(args(command, dir, input, out));
            String err = o.err().strip().replace(out.toString(), "{out}").replace(dir.toString(), "{dir}");
            if (o.code() == 0 || err.contains("\n")) System.out.println("NOT A ONE-LINE ERROR: " + c.name() + " exit " + o.code() + "\n" + o.err());
            m.append(c.name()).append('\t').append(input).append('\t').append(command).append('\t').append(err).append('\n');
        }
        Files.writeString(root.resolve("MANIFEST.tsv"), m.toString());
    }

}
