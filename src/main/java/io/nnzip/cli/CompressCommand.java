package io.nnzip.cli;

import io.nnzip.engine.ModelValidator;
import io.nnzip.ir.NnzipException;
import io.nnzip.pipeline.Compression;
import io.nnzip.pipeline.CompressionSweep;
import io.nnzip.pipeline.Measurement;
import io.nnzip.pipeline.Recipe;
import io.nnzip.pipeline.Recipes;
import io.nnzip.pipeline.report.HtmlReport;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "compress", mixinStandardHelpOptions = true,
        description = {"Runs a compression recipe: every step is a pass (prune, quantize, factorize, distill, train) with its options, and after each the model must run in ONNX Runtime,",
                "agree with the previous step and stay within the recipe's accuracy budget, or the step is retried gentler or rolled back."})
public final class CompressCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model to compress.")
    Path model;

    @Option(names = "--recipe", required = true, description = "A built-in recipe (see 'nnzip recipes') or a recipe YAML file.")
    String recipe;

    @Mixin
    DataOptions data;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.onnx", description = "The compressed ONNX model.")
    Path output;

    @Option(names = "--nnz", paramLabel = "OUT.nnz", description = "Also write the final model as a .nnz bitstream (recipe's encode options); with --data its decoded accuracy is measured too, and a lossy encode past the recipe's max_drop is redone finer.")
    Path nnz;

    @Option(names = "--report", paramLabel = "REPORT.html", description = "Write a self-contained HTML report.")
    Path report;

    @Option(names = "--work-dir", description = "Where intermediate models go (default: a folder next to the output, removed afterwards).")
    Path workDir;

    @Mixin
    SparkTraining spark;

    @Option(names = "--sweep", paramLabel = "STEP.OPTION=V1,V2,...",
            description = "Run the recipe once per combination of these option values (repeatable); write the smallest coded result within the recipe's max_drop. With --spark each point is a Spark task.")
    List<String> sweep;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads for gates (default: all cores).")
    int threads = OptionRules.CORES;

    @Option(names = "--val-images", paramLabel = "N",
            description = "Gate every step on the last N training images, held out from all fine-tuning, instead of the test split; the test split then measures only the input and the result (accuracy_* in the JSON; the gates' figures are val_accuracy_*). Default: the gates measure the test split.")
    Integer valImages;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Recipe r = Recipes.resolve(recipe);
        // a recipe's transformer settings replace its own on a transformer: the sweep's axes and the report name those
        Recipe resolved = r.transformer() == null ? r : r.forModel(ModelValidator.read(model).graph());
        if (valImages != null && sweep != null && !sweep.isEmpty()) throw new NnzipException("--val-images is not supported with --sweep yet");
        if (sweep != null && !sweep.isEmpty()) {
            if (report != null) throw new NnzipException("--report is not written for a --sweep (the JSON lists every point)");
            return CompressionSweep.run(new CompressionSweep.Request(resolved, sweep, model, output, nnz, data.spec(), cores(), spark.spark.master, this::note));
        }
        Compression.Outcome o = Compression.run(new Compression.Request(r, model, output, nnz, workDir, data.splits(), valImages == null ? 0 : valImages, cores(),
                spark.remote(data.data, data.limit), this::note));
        if (report != null) {
            HtmlReport.write(report, model.getFileName().toString(), resolved, o.result());
            o.json().put("report", report.toAbsolutePath().toString());
        }
        return o.json();
    }

    private int cores() { return threads > 0 ? threads : Runtime.getRuntime().availableProcessors(); }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        if (r.containsKey("points")) printSweep(r, out);
        else printTable(r, out);
    }

    @SuppressWarnings("unchecked")
    static void printSweep(Map<String, Object> r, PrintStream out) {
        out.printf("%s with recipe %s, swept:%n", r.get("model"), r.get("recipe"));
        List<Map<String, Object>> rows = (List<Map<String, Object>>) r.get("points");
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> p = rows.get(i);
            // the step status shows when the recipe's own gate rolled a point's step back (its result is then the input)
            out.printf("  %s%-3d coded %,10d B  x%6.1f  drop %6s pts  %s%s%n", i == ((Number) r.get("chosen")).intValue() ? "*" : " ", i,
                    ((Number) p.get("coded_bytes")).longValue(), ((Number) p.get("compression_ratio")).doubleValue(),
                    p.get("accuracy_drop_points") == null ? "-" : String.format("%.2f", ((Number) p.get("accuracy_drop_points")).doubleValue()),
                    p.get("within_budget").equals(Boolean.TRUE) ? "" : "(over budget) ", p.get("step_status"));
        }
        out.printf("  chosen: %s -> %s%n", r.get("chosen_point"), r.get("output"));
    }

    @SuppressWarnings("unchecked")
    static void printTable(Map<String, Object> r, PrintStream out) {
        out.printf("%s with recipe %s%n", r.get("model"), r.get("recipe"));
        out.printf("  %-3s %-44s %-18s %10s %12s %10s %10s %9s %8s%n", "#", "step", "status", "params", "MACs", "file KiB", "coded KiB", "acc %", "ORT ms");
        List<Map<String, Object>> steps = (List<Map<String, Object>>) r.get("steps");
        for (int i = 0; i < steps.size(); i++) {
            Map<String, Object> s = steps.get(i);
            Measurement m = (Measurement) s.get("measurement");
            String name = (s.get("step") + " " + s.get("args")).trim();
            if (name.length() > 44) name = name.substring(0, 41) + "...";
            out.printf("  %-3d %-44s %-18s %,10d %,12d %10.1f %10s %9s %8.2f%n", i, name, s.get("status"), m.params(), m.macs(), m.fileBytes() / 1024.0,
                    m.codedBytes() == null ? "-" : String.format("%.1f", m.codedBytes() / 1024.0), m.accuracy() == null ? "-" : String.format("%.2f", m.accuracy()), m.ortMs());
        }
        out.printf("  compression %.1fx (float ONNX %,d B -> coded %,d B)", (Double) r.get("compression_ratio"), (Long) r.get("file_bytes_before"), (Long) r.get("coded_bytes"));
        if (r.containsKey("accuracy_drop_points")) out.printf(", accuracy %.2f%% -> %.2f%%", 100 * (Double) r.get("accuracy_before"), 100 * (Double) r.get("accuracy_after"));
        if (r.get("nnz_accuracy") instanceof Double a) out.printf(" (decoded .nnz %.2f%%)", 100 * a);
        out.printf(", ORT latency x%.2f%n", (Double) r.get("latency_ratio"));
        if (r.containsKey("report")) out.println("  report: " + r.get("report"));
    }
}
