package io.nnzip.cli;

import io.nnzip.eval.conformance.ConformanceReport;
import io.nnzip.eval.conformance.ConformanceRunner;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code nnzip conformance}: runs the ONNX backend test suite through the engine. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = "Run the ONNX conformance suite (node, pytorch-converted, pytorch-operator, simple) through nnzip's engine.")
public final class ConformanceCommand extends BaseCommand {
    @Option(names = {"--suite-dir", "--dir"}, description = "Suite root holding node/, simple/, ... (default: ${DEFAULT-VALUE}).")
    Path dir = ConformanceRunner.DEFAULT_DIR;

    @Option(names = "--filter", description = "Only cases whose 'suite/name' matches this regular expression.")
    String filter;

    @Option(names = "--list-unsupported", description = "Also list every unsupported case with its reason.")
    boolean listUnsupported;

    private ConformanceReport report;

    @Override
    protected Map<String, Object> execute() {
        report = ConformanceRunner.runAll(dir, filter == null ? null : Pattern.compile(filter));
        return report.toMap();
    }

    @Override
    protected void printHuman(Map<String, Object> result, PrintStream out) {
        out.printf("passed %d, failed %d, unsupported %d (of %d cases)%n", report.passed(), report.failed(), report.unsupported(), report.results().size());
        if (!report.failures().isEmpty()) {
            out.println("failures:");
            report.failures().forEach((k, v) -> out.println("  " + k + ": " + v));
        }
        if (!report.unsupportedReasons().isEmpty()) {
            out.println("unsupported reasons:");
            report.unsupportedReasons().forEach((k, v) -> out.printf("  %4d  %s%n", v, k));
        }
        if (listUnsupported) {
            out.println("unsupported cases:");
            report.results().stream().filter(r -> r.status() == io.nnzip.eval.conformance.CaseResult.Status.UNSUPPORTED)
                    .forEach(r -> out.println("  " + r.name() + ": " + r.detail()));
        }
    }

    @Override
    protected int exitCode(Map<String, Object> result) { return report.failed() > 0 ? 1 : 0; }
}
