package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.rd.AccuracyProbe;
import io.nnzip.codec.rd.DatasetProbe;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.codec.rd.OutputProbe;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * An update NEW − BASE coded under a bound measured on validation images: the patched model's accuracy within
 * {@code maxDrop} points of NEW's (coarsest update steps that keep it), or the whole file within {@code maxBytes}
 * (the most faithful allocation on the rate–divergence path that fits). Optionally error-compensated (each layer's
 * update coded toward what the layers before it, as received, need), sequentially so under a byte budget, and with
 * the budget's levels refined by a few training steps. What the search chose and measured goes into the report.
 */
public final class BoundedUpdate {
    /**
     * @param maxDrop      bound on the validation drop in points (or null when {@code maxBytes} is given)
     * @param maxBytes     bound on the whole update file in bytes (or null)
     * @param updateSteps  global, per-tensor, rate-path, rate-fit or rate-budget (null: rate-budget under maxBytes,
     *                     per-tensor under agreement, else rate-fit)
     * @param agreement    bound the patched model's agreement with NEW's top-1 instead of its accuracy
     * @param compensate   error-compensated coding (calibrated on the first {@code calibImages} training images)
     * @param sequential   under maxBytes with compensation: each layer compensates the received layers before it
     * @param refineSteps  training steps on the budget's levels (0: none); trains on the images before the last valImages
     * @param qp           the finest update QP the search starts from
     * @param asReceived   BASE already is the receiver's copy (not re-coded before the difference is taken)
     */
    public record Config(Double maxDrop, Long maxBytes, String updateSteps, boolean agreement, boolean compensate, boolean sequential,
                         int refineSteps, int calibImages, int valImages, int qp, boolean asReceived, int threads) {
        public String steps() { return maxBytes != null ? "rate-budget" : updateSteps != null ? updateSteps : agreement ? "per-tensor" : "rate-fit"; }
    }

    /**
     * The search's outcome.
     *
     * @param received   the receiver's copy of BASE the update patches
     * @param coded      the model the update is coded from (the compensated, perhaps refined, target)
     * @param baseRecipe the recipe BASE was coded with when it differs from the update's (the stream then says so), else null
     * @param probe      the validation images' probe, for measurements of the patched model
     */
    public record Result(CodecOptions update, Model received, Model coded, String baseRecipe, DatasetProbe probe, Map<String, Object> report) {}

    private BoundedUpdate() {}

    /**
     * @param at        the update's coding options at a QP (the user's mode on NEW)
     * @param train     training images (calibration: the first calibImages; refinement: all before the last valImages)
     * @param val       validation images every bound is measured on
     */
    public static Result search(Model b, Model n, CodecOptions baseOptions, IntFunction<CodecOptions> at, Dataset train, Dataset val,
                                Normalization norm, Config c, Consumer<String> log) {
        String updateSteps = c.steps();
        if (!List.of("global", "per-tensor", "rate-path", "rate-fit", "rate-budget").contains(updateSteps))
            throw new NnzipException("--update-steps must be global, per-tensor, rate-path or rate-fit, not '" + updateSteps + "'");
        if (c.maxBytes() != null && (c.updateSteps() != null || c.agreement()))
            throw new NnzipException("--max-bytes chooses on the rate-divergence path by bytes; it takes no --update-steps or --update-criterion");
        if (updateSteps.equals("rate-fit") && c.agreement())
            throw new NnzipException("--update-steps rate-fit bounds the accuracy drop; it takes no --update-criterion agreement");
        Map<String, Object> r = new LinkedHashMap<>();
        DatasetProbe probe = new DatasetProbe(val, norm, c.threads());
        double valNew = c.agreement() ? probe.reference(n) : Double.NaN;
        AccuracyProbe criterion = c.agreement() ? probe::agreement : probe;
        Model received = c.asReceived() ? b : ModelEncoder.reconstruct(b, baseOptions);
        String baseRecipe = c.asReceived() ? null : baseOptions.recipe();
        IntFunction<CodecOptions> coding = at;
        Function<CodecOptions, Model> target = o -> n;
        Function<CodecOptions, Model> codedFrom = null; // what the chosen allocation is coded from, if not target
        List<String> refined = new ArrayList<>(); // the layers whose levels refinement trains
        if (c.compensate()) {
            Set<String> weights = new LinkedHashSet<>();
            n.graph().initializers().forEach((k, t) -> { if (t.dtype() == DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED) weights.add(k); });
            ErrorCompensation comp = ErrorCompensation.prepare(n, weights, train.head(c.calibImages()), norm, 128);
            coding = q -> UpdateCompensation.codingOptions(at.apply(q));
            target = o -> UpdateCompensation.target(comp, received, n, o);
            if (c.sequential()) {
                SequentialCompensation seq = new SequentialCompensation(comp, received, n, SequentialCompensation.batches(train.head(c.calibImages()), norm, 128));
                codedFrom = seq::target;
                refined.addAll(seq.layers());
                r.put("sequential_layers", seq.layers());
            }
            r.put("compensated_layers", new ArrayList<>(comp.layers()));
            r.put("calibration_split", "train images 0.." + (c.calibImages() - 1));
        }
        IntFunction<CodecOptions> atQ = coding;
        CodecOptions update;
        UpdateStepSearch.Result s;
        if (updateSteps.equals("rate-budget")) {
            double ref = probe.reference(n);
            UpdateStepSearch.Path budgetPath = UpdateStepSearch.path(received, n, target, probe, atQ, c.qp(), log);
            if (codedFrom != null) target = codedFrom;
            UpdateStepSearch.PathPoint bp = fitFile(received, n, target, probe, atQ, budgetPath, baseRecipe, c, log);
            s = new UpdateStepSearch.Result(c.qp(), bp.bytes(), bp.accuracy(), ref, budgetPath.evaluations() + 1);
            update = atQ.apply(c.qp()).withOverrides(bp.qps());
            r.put("max_bytes", c.maxBytes());
            r.put("update_qps", bp.qps());
            r.put("update_path_index", bp.index());
            r.put("update_path_points", budgetPath.allocations().size());
            r.put("validation_kl", bp.kl());
        } else if (updateSteps.equals("rate-fit")) {
            double ref = probe.reference(n);
            UpdateStepSearch.PathFit pf = UpdateStepSearch.fitted(received, n, target, probe, ref, c.maxDrop(), atQ, c.qp(), log);
            UpdateStepSearch.Refined f = pf.chosen();
            s = new UpdateStepSearch.Result(c.qp(), f.bytes(), f.accuracy(), ref, f.evaluations() + 1);
            update = atQ.apply(c.qp()).withOverrides(f.qps());
            r.put("update_qps", f.qps());
            r.put("update_fit", fitReport(pf, f));
        } else if (updateSteps.equals("rate-path")) {
            double ref = probe.reference(n); // the KL reference; for agreement the new model agrees with itself
            double refCrit = c.agreement() ? 1.0 : ref;
            UpdateStepSearch.Refined f = UpdateStepSearch.ratePath(received, n, target, probe, criterion, UpdateStepSearch.floor(refCrit, c.maxDrop()), atQ, c.qp(), log);
            s = new UpdateStepSearch.Result(c.qp(), f.bytes(), f.accuracy(), refCrit, f.evaluations() + 1);
            update = atQ.apply(c.qp()).withOverrides(f.qps());
            r.put("update_qps", f.qps());
        } else {
            s = UpdateStepSearch.search(received, n, target, criterion, c.maxDrop(), atQ, c.qp(), log);
            update = atQ.apply(s.qp());
        }
        int evals = s.evaluations();
        double valAcc = s.accuracy();
        if (updateSteps.equals("per-tensor") && s.accuracy() >= UpdateStepSearch.floor(s.newAccuracy(), c.maxDrop())) {
            UpdateStepSearch.Refined f = UpdateStepSearch.refine(received, n, target, criterion, UpdateStepSearch.floor(s.newAccuracy(), c.maxDrop()), update, s.accuracy(), log);
            update = update.withOverrides(f.qps());
            evals += f.evaluations();
            valAcc = f.accuracy();
            r.put("update_qps", f.qps());
        }
        r.put("update_qp", s.qp());
        r.put("update_criterion", c.agreement() ? "agreement" : "accuracy");
        r.put("update_steps", updateSteps);
        r.put("compensated", c.compensate());
        r.put("sequential_compensation", c.sequential());
        if (c.agreement()) {
            r.put("validation_agreement_patched", valAcc);
            r.put("validation_accuracy_new", valNew);
        } else {
            r.put("validation_accuracy_new", s.newAccuracy());
            r.put("validation_accuracy_patched", valAcc);
        }
        r.put(c.maxBytes() == null ? "max_drop_evaluations" : "max_bytes_evaluations", evals);
        Model compensated = target.apply(update);
        Model coded = c.refineSteps() > 0 ? refine(r, received, n, compensated, update, refined, train, norm, baseRecipe, c) : compensated;
        return new Result(update, received, coded, baseRecipe == null || baseRecipe.equals(update.recipe()) ? null : baseRecipe, probe, r);
    }

    private static Map<String, Object> fitReport(UpdateStepSearch.PathFit pf, UpdateStepSearch.Refined f) {
        Map<String, Object> fit = new LinkedHashMap<>();
        fit.put("drop_per_sqrt_kl", pf.slope());
        fit.put("drop_per_sqrt_kl_upper", pf.slopeUpper());
        fit.put("points_fitted", pf.fitted());
        fit.put("predicted_drop_points", pf.slopeUpper() * Math.sqrt(pf.points().stream().filter(q -> q.qps().equals(f.qps())).findFirst().orElseThrow().kl()));
        List<Map<String, Object>> pts = new ArrayList<>();
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
        return fit;
    }

    /** The update as it would be written, in memory: its size decides what fits a byte budget. */
    private static int streamBytes(Model received, Model coded, CodecOptions u, String baseRecipe) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DiffEncoder.diffReceived(received, coded, u, baseRecipe == null || baseRecipe.equals(u.recipe()) ? null : baseRecipe, buf);
        return buf.size();
    }

    /**
     * Refinement: the levels of the budget's coded target trained toward NEW's predictions on the training images
     * before the last valImages (never the validation images a --val-data split is usually cut from); the refined
     * target replaces it only while the file still fits the budget.
     */
    private static Model refine(Map<String, Object> r, Model received, Model n, Model coded, CodecOptions u, List<String> layers,
                                Dataset train, Normalization norm, String baseRecipe, Config c) {
        int images = train.size() - c.valImages();
        if (images < 1) throw new NnzipException("--refine-steps trains on the training images before the last --val-images " + c.valImages() + "; there are " + train.size());
        LevelRefinement.Config lc = LevelRefinement.Config.of(c.refineSteps(), c.threads());
        LevelRefinement.Result res = LevelRefinement.refine(received, n, coded, u, layers, train.head(images), norm, lc);
        int bytes = streamBytes(received, res.target(), u, baseRecipe);
        boolean fits = bytes <= c.maxBytes();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", lc.steps());
        m.put("lr_levels", lc.lr());
        m.put("batch", lc.batch());
        m.put("seed", lc.seed());
        m.put("images", "train images 0.." + (images - 1));
        m.put("loss", "KL(NEW || patched), temperature 1");
        m.put("levels_changed", res.changed());
        m.put("levels_nonzero", res.levels());
        m.put("bytes", bytes);
        m.put("kept", fits);
        r.put("refine", m);
        return fits ? res.target() : coded;
    }

    /**
     * The budget is on the file: the stream's header and checks can tip the path's chosen allocation over it, so the
     * tensors' budget shrinks by the excess until the whole stream, coded in memory, fits; nothing is written before.
     */
    private static UpdateStepSearch.PathPoint fitFile(Model received, Model n, Function<CodecOptions, Model> target, OutputProbe probe,
                                                      IntFunction<CodecOptions> at, UpdateStepSearch.Path path, String baseRecipe, Config c,
                                                      Consumer<String> log) {
        long maxBytes = c.maxBytes(), unitBudget = maxBytes;
        while (true) {
            UpdateStepSearch.PathPoint bp = UpdateStepSearch.budget(received, n, target, probe, unitBudget, at, c.qp(), path, 0, log);
            CodecOptions o = at.apply(c.qp()).withOverrides(bp.qps());
            long size = streamBytes(received, target.apply(o), o, baseRecipe);
            if (size <= maxBytes) return bp;
            if (unitBudget <= 1) throw new NnzipException("--max-bytes " + maxBytes + ": the smallest update on the path takes " + size + " bytes; nothing written");
            unitBudget = Math.max(1, unitBudget - (size - maxBytes));
        }
    }
}
