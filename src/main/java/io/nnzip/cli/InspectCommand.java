package io.nnzip.cli;

import io.nnzip.codec.NnzInspector;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show the units of a .nnz stream: per-tensor method, size, bits and level entropy.")
public final class InspectCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "NNZ")
    Path input;

    @Override
    protected Map<String, Object> execute() { return NnzInspector.inspect(DecodeCommand.readAll(input), input.toString()); }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("%s: %s stream, format v%s, %s bytes, by nnzip %s, recipe %s%n", r.get("file"), r.get("kind"), r.get("format_version"), r.get("bytes"),
                r.get("tool_version"), r.get("recipe"));
        if (r.containsKey("base_hash")) out.println("base " + r.get("base_hash"));
        out.printf("%-8s %-10s %-32s %-15s %12s %10s %8s %8s%n", "offset", "unit", "name", "method", "elements", "bytes", "bits/el", "H0");
        for (Map<String, Object> u : (List<Map<String, Object>>) r.get("units")) {
            Object h = u.get("level_entropy_bits");
            out.printf("%-8s %-10s %-32s %-15s %12s %10s %8s %8s%n", u.get("offset"), u.get("unit"), trim(u.getOrDefault("name", "")), u.getOrDefault("method", u.getOrDefault("mode", "")),
                    u.getOrDefault("elements", ""), u.get("bytes"), u.containsKey("bits_per_element") ? String.format("%.3f", (Double) u.get("bits_per_element")) : "",
                    h == null ? "" : String.format("%.3f", (Double) h));
        }
        Map<String, Object> s = (Map<String, Object>) r.get("summary");
        out.printf("%s units, %.3f bits per element; level code length / order-0 entropy = %s; checksum %s%n", s.get("units"), (Double) s.get("bits_per_element"),
                s.get("level_bits_over_entropy") == null ? "n/a" : String.format("%.4f", (Double) s.get("level_bits_over_entropy")), r.get("checksum"));
    }

    private static String trim(Object o) {
        String s = String.valueOf(o);
        return s.length() > 32 ? "…" + s.substring(s.length() - 31) : s;
    }
}
