package io.nnzip.cli;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelHash;
import io.nnzip.codec.dom.BoundedUpdate;
import io.nnzip.codec.dom.DiffEncoder;
import io.nnzip.codec.dom.Patcher;
import io.nnzip.codec.rd.DatasetProbe;
import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.engine.ModelValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "Code a new model as an update to a base the receiver already has (difference of models).")
public final class DiffCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "BASE")
    Path base;

    @Parameters(index = "1", paramLabel = "NEW")
    Path next;

    @Option(names = {"-o", "--output"}, required = true)
    Path output;

    @Mixin
    CodecModeOptions mode;

    @Option(names = "--as-received", description = "BASE already is the receiver's copy (a decode or patch result); do not re-code it.")
    boolean asReceived;

    @Option(names = "--max-drop", paramLabel = "POINTS", description = "Code the update at the coarsest QP (from --qp up) whose patched model stays within POINTS percentage points of NEW's accuracy (ONNX Runtime) on a validation split (--val-data, else the last --val-images training images); the receiver's base stays coded at --qp. The patched model is then measured on the TEST set (first --limit test images). Needs --data.")
    Double maxDrop;

    @Option(names = "--max-bytes", paramLabel = "N", description = "In place of --max-drop: spend a byte budget on fidelity. The update (whole file) is coded at the finest allocation of the rate-divergence path (see --update-steps rate-path) that fits in N bytes, each tensor then moved one QP at a time toward the next finer allocation while it still fits; validation (--val-data, else --val-images) only measures the path's divergences and reports, the patched model is then measured on the TEST set. Needs --data.")
    Long maxBytes;

    @Option(names = "--val-images", paramLabel = "N", defaultValue = "" + EncodeCommand.VAL_IMAGES, description = "Validation images for --max-drop without --val-data: the last N training images (default ${DEFAULT-VALUE}).")
    int valImages;

    @Option(names = "--val-data", paramLabel = "DATA", description = EncodeCommand.VAL_DATA_HELP)
    String valData;

    @Option(names = "--update-steps", paramLabel = "MODE", description = "With --max-drop: one update QP for all tensors (global), or that QP then coarsened tensor by tensor while the bound holds (per-tensor; the default with --update-criterion agreement), or per-tensor QPs along a rate-divergence path (each tensor's KL divergence from NEW and bytes measured alone on a QP grid, allocations minimizing bytes + lambda*KL) whose coarsest allocation within the bound is found by bisection on the criterion (rate-path) or chosen on the accuracy drop fitted over every allocation of the path as c*sqrt(KL), with a margin of two standard errors (rate-fit; the default with --update-criterion accuracy).")
    String updateSteps;

    @Option(names = "--compensate", negatable = true, description = "With --max-drop (default on; --no-compensate for plain rounding): error-compensated update (GPTQ-style, no retraining): each Conv/Gemm weight's change is rounded onto the update's grid column by column, the rounding error spread over the inputs not yet coded, using input statistics of the first --calib-images training images; per-tensor steps, rounding to nearest.")
    Boolean compensateOption;

    @Option(names = "--sequential-compensation", negatable = true, description = "With --max-bytes (default on; --no-sequential-compensation for per-layer compensation): cross-layer compensation. Layers are coded in forward order and each is fitted (least squares, then compensated) to NEW's output of that layer on the inputs the receiver's already-coded earlier layers produce on the calibration images, so later layers absorb earlier layers' coded error. The rate-divergence path is still built per tensor with per-layer compensation; the budget's allocation is coded sequentially. Encoder-side only (same format).")
    Boolean sequentialOption;

    @Option(names = "--refine-steps", paramLabel = "N", defaultValue = "0", description = "With sequential compensation (--max-bytes): after the budget's allocation is compensated, train its levels for N steps (Adam, learning rate " + io.nnzip.codec.dom.LevelRefinement.LR + " levels per step, cosine, batches of " + io.nnzip.codec.dom.LevelRefinement.BATCH + ") so the patched model's predictions match NEW's (KL divergence on the training images before the last --val-images; the rounding passed straight through, zero levels kept zero), kept only if the file still fits. Encoder-side only (same format). 0: off (default).")
    int refineSteps;

    @Option(names = "--calib-images", paramLabel = "N", defaultValue = "4096", description = "Training images for --compensate: the first N (default ${DEFAULT-VALUE}: more than a fully connected layer's inputs, so its input statistics are full rank); must not overlap --val-images.")
    int calibImages;

    @Option(names = "--update-criterion", paramLabel = "C", defaultValue = "accuracy", description = "What --max-drop bounds: the patched model's top-1 accuracy on the validation split, in points below NEW's (accuracy; default), or the share of validation images whose top-1 class differs from NEW's, in points (agreement: labels unused; every changed prediction counts, so gains cannot cancel losses).")
    String updateCriterion;

    @Mixin
    DataOptions data;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Model b = ModelValidator.read(base), n = ModelValidator.read(next);
        DiffEncoder.Result[] res = new DiffEncoder.Result[1];
        Map<String, Object> r = new LinkedHashMap<>();
        CodecOptions baseOptions = mode.options(b), update = mode.options(n);
        if (maxDrop != null && maxBytes != null) throw new NnzipException("--max-bytes replaces --max-drop; give one of them");
        if (maxDrop != null || maxBytes != null) {
            String bound = maxDrop != null ? "--max-drop" : "--max-bytes";
            if (mode.lossless) throw new NnzipException(bound + " needs a lossy mode");
            Dataset train = Datasets.load(data.requireData(bound), "train");
            if (valData == null) io.nnzip.data.DataSplits.checkHoldOut(train, valImages);
            EncodeCommand.Validation val = EncodeCommand.validation(valData, train, valImages, maxBytes == null ? "what --max-drop searched on" : "the path's divergences, measured only");
            if (!updateCriterion.equals("accuracy") && !updateCriterion.equals("agreement"))
                throw new NnzipException("--update-criterion must be accuracy or agreement, not '" + updateCriterion + "'");
            boolean compensate = compensateOption == null || compensateOption;
            if (sequentialOption != null && sequentialOption && (!compensate || maxBytes == null))
                throw new NnzipException("--sequential-compensation needs --max-bytes and compensation (not --no-compensate)");
            boolean sequential = maxBytes != null && compensate && (sequentialOption == null || sequentialOption);
            if (refineSteps > 0 && !sequential)
                throw new NnzipException("--refine-steps needs sequential compensation (--max-bytes, not --no-sequential-compensation or --no-compensate)");
            if (compensate && valData == null && calibImages + valImages > train.size())
                throw new NnzipException("--calib-images " + calibImages + " + --val-images " + valImages + " exceed the " + train.size() + " training images (the two must not overlap)");
            BoundedUpdate.Config c = new BoundedUpdate.Config(maxDrop, maxBytes, updateSteps, updateCriterion.equals("agreement"), compensate, sequential,
                    refineSteps, calibImages, valImages, mode.qp, asReceived, mode.threads);
            BoundedUpdate.Result s = BoundedUpdate.search(b, n, baseOptions, q -> mode.options(n, q), train, val.data(), data.normalization(n), c, this::note);
            r.putAll(s.report());
            r.put("validation_split", val.description());
            update = s.update();
            CodecOptions u = update;
            AtomicFiles.write(output, out -> res[0] = DiffEncoder.diffReceived(s.received(), s.coded(), u, s.baseRecipe(), out));
            Model patched = Patcher.patch(s.received(), Files.readAllBytes(output), output.toString(), mode.threads);
            // How far the validation drop can be trusted: the patched and the new model differ on these images only,
            // so a fresh split of the same size sees the drop move by about this standard error (paired difference).
            DatasetProbe probe = s.probe();
            probe.reference(n);
            r.put("validation_changed_predictions", Math.round((1 - probe.agreement(patched)) * probe.size()));
            r.put("validation_drop_se_points", 100 * probe.paired(patched)[1]);
            EncodeCommand.testCheck(r, data, n, patched, mode.threads, "new", "patched", "patched model");
        } else {
            if (compensateOption != null) throw new NnzipException("--compensate needs --max-drop or --max-bytes (and --data)");
            if (sequentialOption != null) throw new NnzipException("--sequential-compensation needs --max-bytes (and --data)");
            if (refineSteps > 0) throw new NnzipException("--refine-steps needs --max-bytes (and --data)");
            if (updateSteps != null) throw new NnzipException("--update-steps is the search of --max-drop; give --max-drop too");
            if (valData != null) throw new NnzipException("--val-data is the validation split of --max-drop or --max-bytes; give one of them");
            if (!updateCriterion.equals("accuracy")) throw new NnzipException("--update-criterion is the bound of --max-drop; give --max-drop too");
            CodecOptions u = update;
            AtomicFiles.write(output, out -> res[0] = DiffEncoder.diff(b, n, u, asReceived, out));
        }
        r.put("base", base.toString());
        r.put("new", next.toString());
        r.put("output", output.toString());
        r.put("recipe", update.recipe());
        r.put("base_hash", ModelHash.hex(res[0].baseHash()));
        r.put("output_bytes", Files.size(output));
        r.put("tensors_changed", res[0].tensors().stream().filter(t -> !t.method().equals("skipped")).count());
        r.put("tensors_skipped", res[0].tensors().stream().filter(t -> t.method().equals("skipped")).count());
        r.put("tensors", res[0].tensors());
        return r;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("update %s: %d bytes, %d tensors changed, %d unchanged (base %s)%n", r.get("output"), r.get("output_bytes"),
                r.get("tensors_changed"), r.get("tensors_skipped"), ((String) r.get("base_hash")).substring(0, 16));
        if (r.containsKey("test_accuracy_new"))
            out.printf("update QP %s; test (%s): new %.2f%%, patched %.2f%% (drop %.2f points)%n", r.get("update_qp"), r.get("test_split"),
                    100 * (Double) r.get("test_accuracy_new"), 100 * (Double) r.get("test_accuracy_patched"), (Double) r.get("test_drop_points"));
    }
}
