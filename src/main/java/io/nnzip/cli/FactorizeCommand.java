package io.nnzip.cli;

import io.nnzip.engine.ModelValidator;
import io.nnzip.ir.Model;
import io.nnzip.lowrank.FactorizeConfig;
import io.nnzip.pass.PassResult;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "factorize", mixinStandardHelpOptions = true,
        description = "Replaces layers by low-rank factorizations (svd, spatial, tucker, cp, tt, btd, svd-asym) with ranks chosen per layer from a global "
                + "rank, energy share, VBMF estimate or MAC budget, and reports params/MACs/error per layer.")
public final class FactorizeCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model.")
    Path model;

    @Option(names = "--method", required = true, description = "svd (Gemm/MatMul), spatial (k×k -> k×1, 1×k), tucker (Tucker-2), cp (CP-ALS), "
            + "tt (Tensor-Train, Gemm/MatMul), btd (block-term: sum of Tucker-2 blocks, conv), svd-asym (data-driven SVD with nonlinear "
            + "asymmetric reconstruction, Gemm/MatMul; needs --data).")
    String method;

    @Option(names = "--rank", description = "Fixed rank for every factorized layer.")
    Integer rank;

    @Option(names = "--energy", description = "Share of each layer's spectrum energy to keep (0..1].")
    Double energy;

    @Option(names = "--target-macs", paramLabel = "F", description = "Output MACs as a fraction of the input's (0..1), met by global rank selection.")
    Double targetMacs;

    @Option(names = "--vbmf", description = "Ranks from the variational Bayesian matrix factorization estimate (svd, spatial, tucker).")
    boolean vbmf;

    @Option(names = "--layers", paramLabel = "REGEX", description = "Regular expression on node names: only matching layers are factorized.")
    String layers;

    @Option(names = "--hooi-sweeps", defaultValue = "2", description = "Tucker: HOOI refinement sweeps (default ${DEFAULT-VALUE}).")
    int hooiSweeps;

    @Option(names = "--cp-iterations", defaultValue = "300", description = "CP: maximum ALS iterations (default ${DEFAULT-VALUE}).")
    int cpIterations;

    @Option(names = "--seed", defaultValue = "1", description = "Seed for CP's initial factors and fine-tuning (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--finetune", defaultValue = "0", paramLabel = "EPOCHS", description = "Epochs of end-to-end fine-tuning on --data after the rewrite (default ${DEFAULT-VALUE}).")
    int finetune;

    @Option(names = "--lr", defaultValue = "0.0005", description = "Fine-tuning Adam learning rate (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--schedule", defaultValue = "cosine", description = "Fine-tuning learning-rate schedule: constant, step or cosine (default ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--tt-cores", defaultValue = "4", paramLabel = "D", description = "tt: cores per layer; in and out sizes are split into D balanced factors (default ${DEFAULT-VALUE}).")
    int ttCores;

    @Option(names = "--blocks", defaultValue = "2", description = "btd: Tucker-2 blocks per convolution; --rank is each block's rank (default ${DEFAULT-VALUE}).")
    int blocks;

    @Option(names = "--als-iterations", defaultValue = "20", description = "svd-asym: alternations of the ReLU-aware reconstruction; btd: back-fitting sweeps (default ${DEFAULT-VALUE}).")
    int alsIterations;

    @Option(names = "--calib-images", paramLabel = "N", defaultValue = "1024", description = "svd-asym: calibration images the reconstruction is fitted on (default ${DEFAULT-VALUE}).")
    int calibImages;

    @Option(names = "--eval", description = "With --data but no --finetune: report test accuracy of the original and the factorized model.")
    boolean eval;


    @Mixin
    SparkTraining spark;

    @Mixin
    DataOptions data;

    @Option(names = {"-o", "--output"}, required = true, description = "Where to write the factorized model.")
    Path output;

    @Override
    protected Map<String, Object> execute() {
        FactorizeConfig cfg = new FactorizeConfig(FactorizeConfig.Method.parse(method), rank, energy, targetMacs, vbmf, layers,
                hooiSweeps, cpIterations, seed, finetune, lr, schedule, eval).with(ttCores, blocks, alsIterations, calibImages);
        PassResult r = cfg.run(ModelValidator.read(model), data.context(seed).progressOn(!data.noProgress && !json).log(this::note)
                .remote(spark.remote(data.data, data.limit)).build());
        AtomicFiles.write(output, OnnxWriter.toBytes(r.model()));
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("model", model.toString());
        res.putAll(r.report());
        res.put("written", output.toString());
        return res;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("%-28s %-7s %-9s %12s %12s %10s %10s %9s %9s  %s%n", "layer", "op", "ranks", "MACs before", "MACs after", "params",
                "after", "pred.err", "kern.err", "status");
        for (Map<String, Object> l : (List<Map<String, Object>>) r.get("layers"))
            out.printf("%-28s %-7s %-9s %12d %12d %10d %10d %9s %9s  %s%n", l.get("layer"), l.get("op"), l.get("ranks"), l.get("macs_before"),
                    l.get("macs_after"), l.get("params_before"), l.get("params_after"), fmt(l.get("predicted_error")), fmt(l.get("kernel_error")),
                    l.get("status"));
        out.printf("model: MACs %d -> %d (%.3fx), params %d -> %d (%.3fx)%n", r.get("macs_before"), r.get("macs_after"), r.get("macs_ratio"),
                r.get("params_before"), r.get("params_after"), r.get("params_ratio"));
        if (r.containsKey("finetune")) out.println("fine-tuned: " + r.get("finetune"));
        out.println("wrote " + r.get("written"));
    }

    static String fmt(Object d) { return d == null ? "-" : String.format("%.4f", (Double) d); }
}
