package io.nnzip.cli;

import io.nnzip.arch.DynamicConfig;
import io.nnzip.arch.DynamicPass;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.engine.ModelValidator;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "dynamic", mixinStandardHelpOptions = true,
        description = "Attaches early-exit classifier heads, fits them on the frozen backbone (optionally then trains everything jointly), reports accuracy versus average MACs over "
                + "confidence thresholds, and writes an anytime model that returns every exit's logits (run it with 'nnzip run --early-exit T').")
public final class DynamicCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX classifier.")
    Path model;

    @Option(names = "--exits", required = true, split = ",", description = "Values or node names after which to attach exits, in network order.")
    List<String> exits;

    @Option(names = "--threshold", defaultValue = "0.9", description = "Confidence at which a sample leaves (default ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--head-grid", defaultValue = "2", description = "Heads pool feature maps to a G×G grid (default ${DEFAULT-VALUE}; 1 = global mean).")
    int headGrid;

    @Option(names = "--head-epochs", defaultValue = "15", description = "Epochs of the head fit (default ${DEFAULT-VALUE}).")
    int headEpochs;

    @Option(names = "--head-lr", defaultValue = "0.003", description = "Head fit learning rate (default ${DEFAULT-VALUE}).")
    float headLr;

    @Option(names = "--head-l2", defaultValue = "0.0001", description = "Head L2 penalty (default ${DEFAULT-VALUE}).")
    float headL2;

    @Option(names = "--training", defaultValue = "frozen",
            description = "frozen (backbone fixed, heads fitted on its features) or joint (then backbone and heads trained together; default ${DEFAULT-VALUE}).")
    String training;

    @Option(names = "--joint-epochs", defaultValue = "1", description = "Epochs of joint training over the training split (default ${DEFAULT-VALUE}).")
    int jointEpochs;

    @Option(names = {"--lr", "--joint-lr"}, defaultValue = "0.0003", description = "Adam learning rate of joint training, cosine decay (default ${DEFAULT-VALUE}).")
    float jointLr;

    @Option(names = "--exit-weights", split = ",", description = "Weight of each exit's loss in joint training, final output last (default: all 1).")
    double[] exitWeights;


    @Option(names = "--train-samples", defaultValue = "20000", description = "Training images for the heads (default ${DEFAULT-VALUE}; 0 = all).")
    int trainSamples;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    DataOptions data;

    @Option(names = {"-o", "--output"}, required = true, description = "Where to write the anytime model.")
    Path output;

    @Override
    protected Map<String, Object> execute() {
        Model in = ModelValidator.read(model);
        Normalization norm = data.normalization(in);
        Dataset full = data.load("dynamic", "train"), train = full.head(trainSamples), test = data.load("dynamic", "test");
        DynamicConfig cfg = new DynamicConfig(exits, threshold, headGrid, headEpochs, headLr, headL2, training, train.size(), seed, jointEpochs, jointLr,
                exitWeights);
        DynamicPass.Result r = DynamicPass.run(in, cfg, io.nnzip.data.ModelInputs.images(train, norm, null), train.labels(), io.nnzip.data.ModelInputs.images(test, norm, null), test.labels(),
                full, norm, new io.nnzip.train.Progress(System.err, !data.noProgress && !json));
        Model out = r.model();
        norm.writeTo(out);
        AtomicFiles.write(output, OnnxWriter.toBytes(out));
        Map<String, Object> res = new java.util.LinkedHashMap<>();
        res.put("model", model.toString());
        res.put("options", cfg.describe());
        res.put("exit_outputs", out.graph().outputNames());
        res.putAll(r.toJson());
        res.put("written", output.toString());
        return res;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.println("exits " + r.get("exit_outputs") + ", MACs when stopping there " + java.util.Arrays.toString((long[]) r.get("exit_macs"))
                + ", baseline " + r.get("baseline_macs"));
        out.println("accuracy of each exit alone: " + java.util.Arrays.toString((double[]) r.get("exit_accuracies")));
        out.printf("%10s %10s %14s %10s  %s%n", "threshold", "accuracy", "avg MACs", "MACs ratio", "exits taken");
        for (Map<String, Object> p : (List<Map<String, Object>>) r.get("curve"))
            out.printf("%10.3f %9.2f%% %14.0f %10.3f  %s%n", p.get("threshold"), 100 * (Double) p.get("accuracy"), p.get("average_macs"),
                    p.get("macs_ratio"), java.util.Arrays.toString((int[]) p.get("exit_counts")));
        Map<String, Object> at = (Map<String, Object>) r.get("at_threshold");
        out.printf("at threshold %.3f: accuracy %.2f%%, average MACs %.3f of the original%n", at.get("threshold"), 100 * (Double) at.get("accuracy"), at.get("macs_ratio"));
        out.println("wrote " + r.get("written"));
    }

}
