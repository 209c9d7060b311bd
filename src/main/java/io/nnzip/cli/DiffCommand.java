package io.nnzip.cli;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.ModelHash;
import io.nnzip.codec.dom.Patcher;
import io.nnzip.codec.dom.UpdateCompensation;
import io.nnzip.codec.dom.UpdateStepSearch;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.codec.rd.DatasetProbe;
import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.ir.NnzipException;
import io.nnzip.codec.dom.DiffEncoder;
import io.nnzip.ir.Model;
import io.nnzip.engine.ModelValidator;
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
            DatasetProbe probe = new DatasetProbe(val.data(), data.normalization(n), mode.threads);
            if (!updateCriterion.equals("accuracy") && !updateCriterion.equals("agreement"))
                throw new NnzipException("--update-criterion must be accuracy or agreement, not '" + updateCriterion + "'");
            boolean agree = updateCriterion.equals("agreement");
            double valNew = agree ? probe.reference(n) : Double.NaN;
            io.nnzip.codec.rd.AccuracyProbe criterion = agree ? probe::agreement : probe;
            boolean compensate = compensateOption == null || compensateOption;
            if (maxBytes != null && (this.updateSteps != null || agree))
                throw new NnzipException("--max-bytes chooses on the rate-divergence path by bytes; it takes no --update-steps or --update-criterion");
            String updateSteps = maxBytes != null ? "rate-budget" : this.updateSteps != null ? this.updateSteps : agree ? "per-tensor" : "rate-fit";
            Model received = asReceived ? b : ModelEncoder.reconstruct(b, baseOptions);
            java.util.function.IntFunction<CodecOptions> at = q -> mode.options(n, q);
            java.util.function.Function<CodecOptions, Model> target = o -> n;
            java.util.function.Function<CodecOptions, Model> coding = null; // what the chosen allocation is coded from, if not target
            java.util.List<String> refined = new java.util.ArrayList<>(); // the layers whose levels --refine-steps trains
            if (sequentialOption != null && sequentialOption && (!compensate || maxBytes == null))
                throw new NnzipException("--sequential-compensation needs --max-bytes and compensation (not --no-compensate)");
            boolean sequential = maxBytes != null && compensate && (sequentialOption == null || sequentialOption);
            if (refineSteps > 0 && !sequential)
                throw new NnzipException("--refine-steps needs sequential compensation (--max-bytes, not --no-sequential-compensation or --no-compensate)");
            if (compensate) {
                if (valData == null && calibImages + valImages > train.size())
                    throw new NnzipException("--calib-images " + calibImages + " + --val-images " + valImages + " exceed the " + train.size() + " training images (the two must not overlap)");
                java.util.Set<String> weights = new java.util.LinkedHashSet<>();
                n.graph().initializers().forEach((k, t) -> { if (t.dtype() == io.nnzip.ir.DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED) weights.add(k); });
                ErrorCompensation comp = ErrorCompensation.prepare(n, weights, train.head(calibImages), data.normalization(n), 128);
                at = q -> UpdateCompensation.codingOptions(mode.options(n, q));
                target = o -> UpdateCompensation.target(comp, received, n, o);
                if (sequential) {
                    io.nnzip.codec.dom.SequentialCompensation seq = new io.nnzip.codec.dom.SequentialCompensation(comp, received, n,
                            io.nnzip.codec.dom.SequentialCompensation.batches(train.head(calibImages), data.normalization(n), 128));
                    coding = seq::target;
                    refined.addAll(seq.layers());
                    r.put("sequential_layers", seq.layers());
                }
                r.put("compensated_layers", new java.util.ArrayList<>(comp.layers()));
                r.put("calibration_split", "train images 0.." + (calibImages - 1));
            }
            if (!updateSteps.equals("global") && !updateSteps.equals("per-tensor") && !updateSteps.equals("rate-path") && !updateSteps.equals("rate-fit") && !updateSteps.equals("rate-budget"))
                throw new NnzipException("--update-steps must be global, per-tensor, rate-path or rate-fit, not '" + updateSteps + "'");
            UpdateStepSearch.Result s;
            if (updateSteps.equals("rate-budget")) {
                double ref = probe.reference(n);
                UpdateStepSearch.Path budgetPath = UpdateStepSearch.path(received, n, target, probe, at, mode.qp, this::note);
                if (coding != null) target = coding;
                UpdateStepSearch.PathPoint bp = fitFile(received, n, target, probe, at, budgetPath, asReceived ? null : baseOptions.recipe());
                s = new UpdateStepSearch.Result(mode.qp, bp.bytes(), bp.accuracy(), ref, budgetPath.evaluations() + 1);
                update = at.apply(mode.qp).withOverrides(bp.qps());
                r.put("max_bytes", maxBytes);
                r.put("update_qps", bp.qps());
                r.put("update_path_index", bp.index());
                r.put("update_path_points", budgetPath.allocations().size());
                r.put("validation_kl", bp.kl());
            } else if (updateSteps.equals("rate-fit")) {
                if (agree) throw new NnzipException("--update-steps rate-fit bounds the accuracy drop; it takes no --update-criterion agreement");
                double ref = probe.reference(n);
                UpdateStepSearch.PathFit pf = UpdateStepSearch.fitted(received, n, target, probe, ref, maxDrop, at, mode.qp, this::note);
                UpdateStepSearch.Refined f = pf.chosen();
                s = new UpdateStepSearch.Result(mode.qp, f.bytes(), f.accuracy(), ref, f.evaluations() + 1);
                update = at.apply(mode.qp).withOverrides(f.qps());
                r.put("update_qps", f.qps());
                Map<String, Object> fit = new LinkedHashMap<>();
                fit.put("drop_per_sqrt_kl", pf.slope());
                fit.put("drop_per_sqrt_kl_upper", pf.slopeUpper());
                fit.put("points_fitted", pf.fitted());
                fit.put("predicted_drop_points", pf.slopeUpper() * Math.sqrt(pf.points().stream().filter(q -> q.qps().equals(f.qps())).findFirst().orElseThrow().kl()));
                java.util.List<Map<String, Object>> pts = new java.util.ArrayList<>();
                for (UpdateStepSearch.PathPoint q : pf.points()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("index", q.index());
                    m.put("bytes", q.bytes());
                    m.put("validation_accuracy", q.accuracy());
                    m.put("kl", q.kl());
                    m.put("qps", q.qps());
                    pts.add(m);
                }
                fit.put("path", pts);
                r.put("update_fit", fit);
            } else if (updateSteps.equals("rate-path")) {
                double ref = probe.reference(n); // the KL reference; for agreement the new model agrees with itself
                double refCrit = agree ? 1.0 : ref;
                UpdateStepSearch.Refined f = UpdateStepSearch.ratePath(received, n, target, probe, criterion, UpdateStepSearch.floor(refCrit, maxDrop), at, mode.qp, this::note);
                s = new UpdateStepSearch.Result(mode.qp, f.bytes(), f.accuracy(), refCrit, f.evaluations() + 1);
                update = at.apply(mode.qp).withOverrides(f.qps());
                r.put("update_qps", f.qps());
            } else {
                s = UpdateStepSearch.search(received, n, target, criterion, maxDrop, at, mode.qp, this::note);
                update = at.apply(s.qp());
            }
            int evals = s.evaluations();
            double valAcc = s.accuracy();
            if (updateSteps.equals("per-tensor") && s.accuracy() >= UpdateStepSearch.floor(s.newAccuracy(), maxDrop)) {
                UpdateStepSearch.Refined f = UpdateStepSearch.refine(received, n, target, criterion, UpdateStepSearch.floor(s.newAccuracy(), maxDrop), update, s.accuracy(), this::note);
                update = update.withOverrides(f.qps());
                evals += f.evaluations();
                valAcc = f.accuracy();
                r.put("update_qps", f.qps());
            }
            r.put("validation_split", val.description());
            r.put("update_qp", s.qp());
            r.put("update_criterion", updateCriterion);
            r.put("update_steps", updateSteps);
            r.put("compensated", compensate);
            r.put("sequential_compensation", sequential);
            if (agree) {
                r.put("validation_agreement_patched", valAcc);
                r.put("validation_accuracy_new", valNew);
            } else {
                r.put("validation_accuracy_new", s.newAccuracy());
                r.put("validation_accuracy_patched", valAcc);
            }
            r.put(maxBytes == null ? "max_drop_evaluations" : "max_bytes_evaluations", evals);
            CodecOptions u = update;
            Model compensated = target.apply(u);
            Model coded = refineSteps > 0 ? refine(r, received, n, compensated, u, refined, train, data.normalization(n), asReceived ? null : baseOptions.recipe()) : compensated;
            AtomicFiles.write(output, out -> res[0] = DiffEncoder.diffReceived(received, coded, u, asReceived || baseOptions.recipe().equals(u.recipe()) ? null : baseOptions.recipe(), out));
            Model patched = Patcher.patch(received, Files.readAllBytes(output), output.toString(), mode.threads);
            // How far the validation drop can be trusted: the patched and the new model differ on these images only,
            // so a fresh split of the same size sees the drop move by about this standard error (paired difference).
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

    /**
     * --refine-steps: the levels of the budget's coded target trained toward NEW's predictions on the training images
     * before the last --val-images (never the validation images a --val-data split is usually cut from); the refined
     * target replaces it only while the file still fits the budget.
     */
    private Model refine(Map<String, Object> r, Model received, Model n, Model coded, CodecOptions u, java.util.List<String> layers,
                         io.nnzip.data.Dataset train, io.nnzip.data.Normalization norm, String baseRecipe) {
        int images = train.size() - valImages;
        if (images < 1) throw new NnzipException("--refine-steps trains on the training images before the last --val-images " + valImages + "; there are " + train.size());
        io.nnzip.codec.dom.LevelRefinement.Config c = io.nnzip.codec.dom.LevelRefinement.Config.of(refineSteps, mode.threads);
        io.nnzip.codec.dom.LevelRefinement.Result res = io.nnzip.codec.dom.LevelRefinement.refine(received, n, coded, u, layers, train.head(images), norm, c);
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        DiffEncoder.diffReceived(received, res.target(), u, baseRecipe == null || baseRecipe.equals(u.recipe()) ? null : baseRecipe, buf);
        boolean fits = buf.size() <= maxBytes;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", c.steps());
        m.put("lr_levels", c.lr());
        m.put("batch", c.batch());
        m.put("seed", c.seed());
        m.put("images", "train images 0.." + (images - 1));
        m.put("loss", "KL(NEW || patched), temperature 1");
        m.put("levels_changed", res.changed());
        m.put("levels_nonzero", res.levels());
        m.put("bytes", buf.size());
        m.put("kept", fits);
        r.put("refine", m);
        return fits ? res.target() : coded;
    }

    /**
     * The budget is on the file: the stream's header and checks can tip the path's chosen allocation over it, so the
     * tensors' budget shrinks by the excess until the whole stream, coded in memory, fits; nothing is written before.
     */
    private UpdateStepSearch.PathPoint fitFile(Model received, Model n, java.util.function.Function<CodecOptions, Model> target,
                                               io.nnzip.codec.rd.OutputProbe probe, java.util.function.IntFunction<CodecOptions> at,
                                               UpdateStepSearch.Path path, String baseRecipe) {
        long unitBudget = maxBytes;
        while (true) {
            UpdateStepSearch.PathPoint bp = UpdateStepSearch.budget(received, n, target, probe, unitBudget, at, mode.qp, path, 0, this::note);
            CodecOptions o = at.apply(mode.qp).withOverrides(bp.qps());
            java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            DiffEncoder.diffReceived(received, target.apply(o), o, baseRecipe == null || baseRecipe.equals(o.recipe()) ? null : baseRecipe, buf);
            long size = buf.size();
            if (size <= maxBytes) return bp;
            if (unitBudget <= 1) throw new NnzipException("--max-bytes " + maxBytes + ": the smallest update on the path takes " + size + " bytes; nothing written");
            unitBudget = Math.max(1, unitBudget - (size - maxBytes));
        }
    }
}
