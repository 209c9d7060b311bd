package io.nnzip.cli;

import io.nnzip.arch.AdderRedesign;
import io.nnzip.arch.DepthwiseSeparableRedesign;
import io.nnzip.arch.FireConfig;
import io.nnzip.arch.FireRedesign;
import io.nnzip.arch.RedesignConfig;
import io.nnzip.arch.ShuffleConfig;
import io.nnzip.arch.ShuffleRedesign;
import io.nnzip.arch.WaveletInput;
import io.nnzip.arch.WaveletInputConfig;
import io.nnzip.data.Dataset;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.engine.ModelValidator;
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

@Command(name = "redesign", mixinStandardHelpOptions = true,
        description = "Replaces standard convolutions by depthwise + pointwise pairs, each fitted to the original layer's outputs on "
                + "calibration data (layer-wise distillation), or by AdderNet layers (-sum|x - w|, then batch normalization calibrated to the "
                + "original layer's output statistics), or by ShuffleNet units (grouped 1x1, channel shuffle, depthwise, grouped 1x1) or "
                + "SqueezeNet fire modules, or splits the input into two half-resolution images (wavelet-like: the network on the "
                + "low-frequency one, a light branch on the other), then optionally fine-tuned end to end (on labels, or with the original model as teacher).")
public final class RedesignCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model.")
    Path model;

    @Option(names = "--depthwise-separable", description = "Redesign into depthwise + pointwise pairs (give this or --adder).")
    boolean depthwiseSeparable;

    @Option(names = "--adder", description = "Redesign into AdderNet layers followed by batch normalization (give this or --depthwise-separable); "
            + "written as standard ONNX ops that ONNX Runtime runs.")
    boolean adder;

    @Option(names = "--shuffle-groups", paramLabel = "G", defaultValue = "0", description = "Redesign into ShuffleNet units: 1x1 conv in G groups, ReLU, "
            + "channel shuffle (Reshape/Transpose/Reshape), depthwise conv, 1x1 conv in G groups (0 = not this redesign; default ${DEFAULT-VALUE}).")
    int shuffleGroups;

    @Option(names = "--block-width", defaultValue = "1", description = "With --shuffle-groups: middle (depthwise) channels of each unit as a share of the "
            + "layer's output channels (default ${DEFAULT-VALUE}).")
    float blockWidth;

    @Option(names = "--fire", description = "Redesign into SqueezeNet fire modules: 1x1 squeeze, ReLU, then 1x1 and 3x3 expand branches concatenated.")
    boolean fire;

    @Option(names = "--squeeze-ratio", defaultValue = "0.125", description = "With --fire: squeeze channels as a share of the layer's output channels (default ${DEFAULT-VALUE}).")
    float squeezeRatio;

    @Option(names = "--expand3-share", defaultValue = "0.5", description = "With --fire: share of the output channels from the 3x3 expand branch (default ${DEFAULT-VALUE}).")
    float expand3Share;

    @Option(names = "--fit-steps", defaultValue = "400", description = "With --shuffle-groups, --fire or --adder: Adam steps (batch 32) fitting each new block alone "
            + "to the original layer's outputs on the calibration images (--adder: the adder layer with its batch normalization, from its templates; "
            + "0 = random start, templates for --adder; default ${DEFAULT-VALUE}).")
    int fitSteps;

    @Option(names = "--wavelet-input", description = "Split the input into two half-resolution images with a learned 2x2 transform (starts as the "
            + "Karhunen-Loeve pair of the calibration images' 2x2 patches; Haar with --calib-images 0): "
            + "the network runs on the low-frequency one (one stride-2 pooling removed), a light branch on the high-frequency one.")
    boolean waveletInput;

    @Option(names = "--branch-channels", defaultValue = "8", description = "With --wavelet-input: channels of the light high-frequency branch (default ${DEFAULT-VALUE}).")
    int branchChannels;

    @Option(names = "--branch-fuse", defaultValue = "features", description = "With --wavelet-input: where the light branch joins the network: features "
            + "(its spatial features into the first fully connected layer, as in the paper), logits (pooled class scores added) or input (no branch: all four "
            + "2×2 subband images are the first convolution's input channels, nothing of the image lost) (default ${DEFAULT-VALUE}).")
    String branchFuse;

    @Option(names = "--target-macs", defaultValue = "0.6", description = "With --wavelet-input: fraction of the original MACs to keep at most; the earliest "
            + "stride-2 pooling whose removal stays within it is removed, so the rest goes to resolution; when none does, the one leaving the fewest MACs (default ${DEFAULT-VALUE}).")
    float targetMacs;

    @Option(names = "--layers", paramLabel = "REGEX", description = "Regular expression on node names: only matching convolutions are redesigned.")
    String layers;

    @Option(names = "--min-input-channels", defaultValue = "4", description = "Keep convolutions with fewer input channels (default ${DEFAULT-VALUE}).")
    int minInputChannels;

    @Option(names = "--als-iterations", defaultValue = "4", description = "Layer-wise ALS rounds (default ${DEFAULT-VALUE}).")
    int alsIterations;

    @Option(names = "--max-positions", defaultValue = "8192", description = "Output positions sampled per layer for the fit (default ${DEFAULT-VALUE}).")
    int maxPositions;

    @Option(names = {"--calib-images", "--calib-samples"}, defaultValue = "512", description = "Calibration images from the training split (default ${DEFAULT-VALUE}; 0 = data-free).")
    int calibSamples;

    @Option(names = "--finetune", defaultValue = "0", paramLabel = "EPOCHS", description = "Epochs of end-to-end fine-tuning on --data after the rewrite (default ${DEFAULT-VALUE}).")
    int finetune;

    @Option(names = "--lr", description = "Fine-tuning learning rate (default 0.01 with --adder, else 0.0005).")
    Float lr;

    @Option(names = "--schedule", defaultValue = "cosine", description = "Fine-tuning learning-rate schedule: constant, step or cosine (default ${DEFAULT-VALUE}).")
    String schedule;

    // hard labels by default: on the Fashion-MNIST CNN the teacher gave the same accuracy (90.43 vs 90.47 % after
    // 3 epochs) for an extra teacher pass over the training set
    // --adder: on by default, the adder layers start far from the conv's features and the teacher's soft targets say more
    @Option(names = {"--original-teacher", "--teacher"}, negatable = true, fallbackValue = "true",
            description = "Fine-tune with the original model as teacher (soft targets, as in distill) instead of hard labels only "
                    + "(default on with --adder, off otherwise).")
    Boolean teacher;

    @Option(names = "--temperature", defaultValue = "4", description = "Softmax temperature of the teacher's soft targets (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--alpha", defaultValue = "0.9", description = "Weight of the soft-target term; 1 - alpha weighs the hard labels (default ${DEFAULT-VALUE}).")
    float alpha;

    @Option(names = "--optimizer", description = "Fine-tuning optimizer: sgd, adam or adamw (default sgd with --adder, as in the AdderNet paper, else adam).")
    String optimizer;

    @Option(names = "--adder-eta", description = "With --adder: AdderNet's adaptive learning rate during --finetune, each adder filter's gradient rescaled to "
            + "ETA·sqrt(k)/norm (k its element count), so each filter element moves by about lr·ETA per step: the paper's 0.1 goes with "
            + "its --optimizer sgd --lr 0.1, so at --lr 0.01 the same step is ETA 1; 0 = off (default with sgd: 0.01/lr, the paper's step; else 0).")
    Float adderEta;

    @Option(names = "--eval", description = "With --data but no --finetune: report test accuracy of the original and the redesigned model.")
    boolean eval;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;


    @Mixin
    DataOptions data;

    @Option(names = {"-o", "--output"}, required = true, description = "Where to write the redesigned model.")
    Path output;

    @Override
    protected Map<String, Object> execute() {
        int targets = (depthwiseSeparable ? 1 : 0) + (adder ? 1 : 0) + (shuffleGroups > 0 ? 1 : 0) + (fire ? 1 : 0) + (waveletInput ? 1 : 0);
        if (targets != 1) throw new NnzipException("redesign: give exactly one of --depthwise-separable, --adder, --shuffle-groups, --fire and --wavelet-input");
        String kind = depthwiseSeparable ? "depthwise-separable" : adder ? "adder" : shuffleGroups > 0 ? "shuffle" : fire ? "fire" : "wavelet-input";
        Model in = ModelValidator.read(model);
        Tensor calib = null;
        if (calibSamples > 0 && data.data != null) {
            Dataset train = data.load("redesign", "train").head(calibSamples);
            calib = io.nnzip.data.ModelInputs.images(train, data.normalization(in), null);
        } else if (calibSamples > 0 && !waveletInput) {
            throw new NnzipException("redesign fits each block on calibration data: give --data (or --calib-images 0 for the data-free start)");
        }
        if (shuffleGroups > 0 || fire || waveletInput) return fitted(in, kind, calib);
        float lr = lr(), adderEta = adderEta();
        String optimizer = optimizer();
        boolean teacher = teacher();
        RedesignConfig cfg = new RedesignConfig(layers, minInputChannels, alsIterations, maxPositions, calib == null ? 0 : calib.dim(0), seed, finetune, adder ? fitSteps : 0);
        DepthwiseSeparableRedesign.Result r = adder ? AdderRedesign.run(in, cfg, calib) : DepthwiseSeparableRedesign.run(in, cfg, calib);
        Model out = r.model();
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("model", model.toString());
        res.put("redesign", kind);
        res.put("options", cfg.describe());
        res.putAll(r.summary());
        // an adder layer's |x - w| terms replace its multiply-adds: macs_after counts the multiplications left
        if (adder) res.put("adder_abs_sub_ops", r.layers().stream().filter(l -> l.status().equals("redesigned")).mapToLong(DepthwiseSeparableRedesign.LayerResult::macsAfter).sum());
        if (finetune > 0 || eval) {
            FineTuneSupport.Outcome ft = FineTuneSupport.finetune(in, out, data, "redesign --finetune", finetune, lr, schedule, seed, !data.noProgress && !json,
                    teacher ? new FineTuneSupport.Teacher(temperature, alpha) : null, optimizer, adderEta);
            out = ft.model();
            res.put("finetune", ft.report());
        }
        AtomicFiles.write(output, OnnxWriter.toBytes(AdderRedesign.toOnnx(out)));
        res.put("layers", r.layers().stream().map(DepthwiseSeparableRedesign.LayerResult::toJson).toList());
        res.put("written", output.toString());
        return res;
    }

    // --adder's defaults are the setting that brought the adder CNN within 2 points of the conv one (BENCHMARKS.md,
    // issues 18, sessions 11-12): the paper's SGD with lr·η = 0.01 and the original as teacher
    private float lr() { return lr != null ? lr : adder ? 0.01f : 0.0005f; }

    private String optimizer() { return optimizer != null ? optimizer : adder ? "sgd" : "adam"; }

    private boolean teacher() { return teacher != null ? teacher : adder; }

    private float adderEta() { return adderEta != null ? adderEta : adder && optimizer().equals("sgd") ? 0.01f / lr() : 0f; }

    /** The redesigns whose new layers start random, then are fitted by gradient descent (shuffle, fire) or not (wavelet input). */
    private Map<String, Object> fitted(Model in, String kind, Tensor calib) {
        if (finetune > 0 || eval) data.requireData("redesign --" + kind);
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("model", model.toString());
        res.put("redesign", kind);
        Model out;
        List<DepthwiseSeparableRedesign.LayerResult> layerResults = List.of();
        if (waveletInput) {
            WaveletInputConfig cfg = new WaveletInputConfig(branchChannels, branchFuse, targetMacs, seed, finetune);
            WaveletInput.Result r = WaveletInput.run(in, cfg, calib);
            res.put("options", cfg.describe());
            res.putAll(r.summary());
            out = r.model();
        } else {
            DepthwiseSeparableRedesign.Result r;
            if (fire) {
                FireConfig cfg = new FireConfig(layers, minInputChannels, squeezeRatio, expand3Share, fitSteps, seed, finetune);
                res.put("options", cfg.describe());
                r = FireRedesign.run(in, cfg, calib);
            } else {
                ShuffleConfig cfg = new ShuffleConfig(layers, minInputChannels, shuffleGroups, blockWidth, fitSteps, seed, finetune);
                res.put("options", cfg.describe());
                r = ShuffleRedesign.run(in, cfg, calib);
            }
            res.putAll(r.summary());
            out = r.model();
            layerResults = r.layers();
        }
        if (finetune > 0 || eval) {
            FineTuneSupport.Outcome ft = FineTuneSupport.finetune(in, out, data, "redesign --finetune", finetune, lr(), schedule, seed, !data.noProgress && !json,
                    teacher() ? new FineTuneSupport.Teacher(temperature, alpha) : null, optimizer(), 0f);
            out = ft.model();
            res.put("finetune", ft.report());
        }
        AtomicFiles.write(output, OnnxWriter.toBytes(out));
        res.put("layers", layerResults.stream().map(DepthwiseSeparableRedesign.LayerResult::toJson).toList());
        res.put("written", output.toString());
        return res;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("%-24s %12s %12s %10s %10s %9s %9s  %s%n", "layer", "MACs before", "MACs after", "params", "after", "err.init", "err.fit", "status");
        for (Map<String, Object> l : (List<Map<String, Object>>) r.get("layers"))
            out.printf("%-24s %12d %12d %10d %10d %9s %9s  %s%n", l.get("layer"), l.get("macs_before"), l.get("macs_after"), l.get("params_before"),
                    l.get("params_after"), FactorizeCommand.fmt(l.get("output_error_init")), FactorizeCommand.fmt(l.get("output_error_fitted")), l.get("status"));
        if (r.containsKey("removed_pooling")) out.println("pooling removed on the half-size image: " + r.get("removed_pooling") + ", light branch MACs " + r.get("branch_macs"));
        out.printf("model: MACs %d -> %d (%.2fx fewer), params %d -> %d%n", r.get("macs_before"), r.get("macs_after"), r.get("macs_reduction"),
                r.get("params_before"), r.get("params_after"));
        if (r.containsKey("finetune")) out.println("accuracy: " + r.get("finetune"));
        out.println("wrote " + r.get("written"));
    }
}
