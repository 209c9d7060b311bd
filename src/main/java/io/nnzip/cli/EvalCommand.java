package io.nnzip.cli;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.engine.ModelValidator;
import io.nnzip.train.Evaluator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Top-1/top-5 accuracy, loss, per-class accuracy, confusion matrix and images/s of a classifier on a test split.")
public final class EvalCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL.onnx") Path modelPath;
    @Mixin DataOptions dataOptions;
    @Option(names = "--runtime", defaultValue = "engine", description = "engine (nnzip) or ort (ONNX Runtime).") String runtime;
    @Option(names = "--batch", defaultValue = "256", description = "Batch size (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--threads", paramLabel = "N", description = "Threads (default: all cores).") Integer threads;

    @Override
    protected Map<String, Object> execute() {
        Model m = ModelValidator.read(modelPath);
        Dataset test = dataOptions.load("eval", "test");
        Normalization norm = dataOptions.normalization(m);
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        Evaluator.Result r;
        switch (runtime.toLowerCase()) {
            case "engine" -> {
                try (Parallel par = new Parallel(th)) {
                    r = Evaluator.evaluate(Evaluator.fusedEngine(m, par), test, norm, batch);
                }
            }
            case "ort" -> {
                try (OrtRunner ort = new OrtRunner(m, th)) {
                    r = Evaluator.evaluate(Evaluator.ort(m, ort), test, norm, batch);
                }
            }
            default -> throw new NnzipException("--runtime must be engine or ort, got '" + runtime + "'");
        }
        String[] names = Datasets.classNames(dataOptions.data, test.classes());
        Map<String, Object> perClass = new LinkedHashMap<>();
        for (int c = 0; c < names.length; c++) perClass.put(names[c], TrainCommand.round(r.perClassAccuracy()[c], 5));
        List<List<Integer>> confusion = new ArrayList<>();
        for (int[] row : r.confusion()) confusion.add(java.util.Arrays.stream(row).boxed().toList());
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("model", modelPath.toString());
        res.put("data", dataOptions.data + " test (" + r.count() + " images)");
        res.put("runtime", runtime.toLowerCase());
        res.put("normalization", norm.describe());
        res.put("accuracy", TrainCommand.round(r.accuracy(), 5));
        res.put("top5_accuracy", TrainCommand.round(r.top5Accuracy(), 5));
        res.put("loss", TrainCommand.round(r.loss(), 5));
        res.put("images_per_second", TrainCommand.round(r.imagesPerSecond(), 1));
        res.put("per_class_accuracy", perClass);
        res.put("confusion_matrix", confusion);
        return res;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("%s on %s (%s, normalization %s)%n", r.get("model"), r.get("data"), r.get("runtime"), r.get("normalization"));
        out.printf("top-1 %.2f%%  top-5 %.2f%%  loss %.4f  %.0f images/s%n", 100 * TrainCommand.num(r.get("accuracy")),
                100 * TrainCommand.num(r.get("top5_accuracy")), TrainCommand.num(r.get("loss")), TrainCommand.num(r.get("images_per_second")));
        out.println("per class:");
        ((Map<String, Object>) r.get("per_class_accuracy")).forEach((k, v) -> out.printf("  %-12s %6.2f%%%n", k, 100 * TrainCommand.num(v)));
        out.println("confusion (rows: true class, columns: predicted):");
        for (List<Integer> row : (List<List<Integer>>) r.get("confusion_matrix")) {
            StringBuilder sb = new StringBuilder("  ");
            for (int v : row) sb.append(String.format("%5d", v));
            out.println(sb);
        }
    }
}
