package io.nnzip.cli;

import io.nnzip.pipeline.Compression;
import io.nnzip.pipeline.Recipe;
import io.nnzip.pipeline.Recipes;
import io.nnzip.pipeline.report.HtmlReport;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The main job on the embedded default: trains (or reuses a cached) 3-conv CNN on Fashion-MNIST,",
                "runs two built-in recipes on it, prints the table and writes one HTML report."})
public final class DemoCommand extends BaseCommand {
    @Option(names = "--dir", defaultValue = "nnzip-demo", description = "Where the demo writes its models and report (default ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--recipes", split = ",", defaultValue = "deep-compression,edge-int8", description = "Recipes to run (default ${DEFAULT-VALUE}).")
    List<String> recipes;

    @Option(names = "--epochs", defaultValue = "2", description = "Epochs for the baseline when it is not cached (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--retrain", description = "Train the baseline even when a cached one exists.")
    boolean retrain;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Files.createDirectories(dir);
        Path base = baseline();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("baseline", base.toString());
        List<HtmlReport.Run> runs = new ArrayList<>();
        List<Map<String, Object>> results = new ArrayList<>();
        io.nnzip.data.DataSplits data = new io.nnzip.data.DataSpec("fashion-mnist", 0, null).splits();
        for (String name : recipes) {
            Recipe r = Recipes.builtIn(name);
            note("running recipe " + name);
            Compression.Outcome o = Compression.run(new Compression.Request(r, base, dir.resolve(name + ".onnx"), dir.resolve(name + ".nnz"), null, data, 0,
                    Runtime.getRuntime().availableProcessors(), null, this::note));
            runs.add(new HtmlReport.Run(r, o.result()));
            results.add(o.json());
            if (!json) CompressCommand.printTable(o.json(), System.out);
        }
        Path report = dir.resolve("report.html").toAbsolutePath();
        HtmlReport.write(report, "Fashion-MNIST CNN (demo)", runs);
        out.put("recipes", results);
        out.put("report", report.toString());
        return out;
    }

    /** The cached baseline, trained on first use (its folder survives between runs). */
    Path baseline() throws Exception {
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "nnzip");
        Path model = cache.resolve("demo-cnn-fashion-mnist-e" + epochs + ".onnx");
        if (Files.exists(model) && !retrain) {
            note("reusing the cached baseline " + model);
            return model;
        }
        Files.createDirectories(cache);
        note("training the baseline CNN on Fashion-MNIST (" + epochs + " epochs; cached afterwards)");
        CommandLine c = InProcessSteps.sub("train");
        c.parseArgs("--model", "cnn", "--data", "fashion-mnist", "--epochs", Integer.toString(epochs), "--seed", "1", "-o", model.toString());
        BaseCommand train = c.getCommand();
        train.json = json;
        train.execute();
        return model;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.println("baseline: " + r.get("baseline"));
        out.println("report:   " + r.get("report"));
    }
}
