package io.nnzip.lowrank;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.pass.Configs;
import io.nnzip.pass.FineTuning;
import io.nnzip.pass.Pass;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Provenance;
import io.nnzip.pass.Setting;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The factorize pass: every option with a description, recorded in the output model's provenance
 * ({@code nnzip.factorize}) so the result can be reproduced from its own file. Exactly one of rank, energy,
 * target_macs or vbmf selects the ranks.
 */
public record FactorizeConfig(
        @Setting(value = "factorization: svd (Gemm/MatMul), spatial (k×k -> k×1, 1×k), tucker (Tucker-2), cp (CP-ALS), tt (Tensor-Train, Gemm/MatMul), btd (sum of Tucker-2 blocks) or svd-asym (data-driven SVD, Gemm/MatMul)", dflt = "svd") Method method,
        @Setting("fixed rank for every factorized layer (each mode for tucker), or null") Integer rank,
        @Setting("per-layer share (0..1] of the spectrum's energy to keep, i.e. relative squared kernel error <= 1-energy; or null") Double energy,
        @Setting("global budget: output model MACs as a fraction of the input model's; or null") Double targetMacs,
        @Setting(value = "ranks from the empirical variational Bayesian matrix factorization estimate (svd, spatial, tucker)", dflt = "false") boolean vbmf,
        @Setting("regular expression (find) on node names selecting the layers to factorize; null = all eligible") String layers,
        @Setting(value = "Tucker: HOOI refinement sweeps after the HOSVD start", dflt = "2") int hooiSweeps,
        @Setting(value = "CP: maximum ALS iterations per rank tried", dflt = "300") int cpIterations,
        @Setting(value = "seed of CP's random initial factor columns and of fine-tuning", dflt = "1") long seed,
        @Setting(value = "epochs of end-to-end fine-tuning after the rewrite (0 = none)", dflt = "0") int finetune,
        @Setting(value = "fine-tuning Adam learning rate", dflt = "0.0005") float lr,
        @Setting(value = "fine-tuning learning-rate schedule: constant, step or cosine", dflt = "cosine") String schedule,
        @Setting(value = "without fine-tuning: still report validation accuracy of the original and the factorized model", dflt = "false") boolean eval,
        @Setting(value = "tt: cores per layer (d), each input and output size split into d balanced factors", dflt = "4") int ttCores,
        @Setting(value = "btd: Tucker-2 blocks summed per convolution (rank = each block's rank)", dflt = "2") int blocks,
        @Setting(value = "svd-asym: alternations of the nonlinear (ReLU) reconstruction; btd: back-fitting sweeps", dflt = "20") int alsIterations,
        @Setting(value = "svd-asym: calibration images (from the calibration, else training split) the reconstruction is fitted on", dflt = "1024") int calibImages)
        implements Pass {

    public enum Method {
        SVD("Gemm/MatMul W (N×M) -> N×K then K×M (bottleneck linear layers)"),
        SPATIAL("k×k conv -> k×1 conv then 1×k conv with an intermediate rank"),
        TUCKER("Tucker-2 on a conv's channel modes: 1×1 -> k×k core -> 1×1"),
        CP("CP decomposition by ALS: 1×1 -> depthwise k×1 -> depthwise 1×k -> 1×1"),
        TT("Tensor-Train matrix format of Gemm/MatMul: d small cores, one MatMul each"),
        BTD("block-term decomposition of a conv: a sum of Tucker-2 blocks (1×1 -> grouped k×k -> 1×1)"),
        SVD_ASYM("data-driven SVD of Gemm/MatMul fitted to the original ReLU outputs given the already-approximated inputs");

        public final String description;

        Method(String d) { description = d; }

        public static Method parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase().replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new NnzipException("--method must be svd, spatial, tucker, cp, tt, btd or svd-asym, not '" + s + "'");
            }
        }
    }

    public FactorizeConfig(Method method, Integer rank, Double energy, Double targetMacs, boolean vbmf, String layers, int hooiSweeps,
                           int cpIterations, long seed, int finetune) {
        this(method, rank, energy, targetMacs, vbmf, layers, hooiSweeps, cpIterations, seed, finetune, 5e-4f, "cosine", false);
    }

    public FactorizeConfig(Method method, Integer rank, Double energy, Double targetMacs, boolean vbmf, String layers, int hooiSweeps,
                           int cpIterations, long seed, int finetune, float lr, String schedule, boolean eval) {
        this(method, rank, energy, targetMacs, vbmf, layers, hooiSweeps, cpIterations, seed, finetune, lr, schedule, eval, 4, 2, 20, 1024);
    }

    /** This config with the settings of the tt, btd and svd-asym methods replaced. */
    public FactorizeConfig with(int ttCores, int blocks, int alsIterations, int calibImages) {
        return new FactorizeConfig(method, rank, energy, targetMacs, vbmf, layers, hooiSweeps, cpIterations, seed, finetune, lr, schedule, eval,
                ttCores, blocks, alsIterations, calibImages);
    }

    /** Methods on fully connected layers (the rest rewrite convolutions). */
    public boolean linear() { return method == Method.SVD || method == Method.TT || method == Method.SVD_ASYM; }

    public FactorizeConfig {
        if (method == null) method = Method.SVD;
        if (schedule == null) schedule = "cosine";
        if (finetune < 0) throw new NnzipException("--finetune must be ≥ 0");
    }

    /** A config from option values by snake_case key (a recipe step, a Java caller); defaults for the rest. */
    public static FactorizeConfig of(Map<String, ?> values) { return Configs.of(FactorizeConfig.class, values); }

    public void check() {
        int set = (rank != null ? 1 : 0) + (energy != null ? 1 : 0) + (targetMacs != null ? 1 : 0) + (vbmf ? 1 : 0);
        if (set != 1) throw new NnzipException("give exactly one of --rank, --energy, --target-macs, --vbmf");
        if (rank != null && rank < 1) throw new NnzipException("--rank must be at least 1, got " + rank);
        if (energy != null && !(energy > 0 && energy <= 1)) throw new NnzipException("--energy must be in (0, 1], got " + energy);
        if (targetMacs != null && !(targetMacs > 0 && targetMacs < 1)) throw new NnzipException("--target-macs must be in (0, 1), got " + targetMacs);
        if (vbmf && (method == Method.CP || method == Method.TT || method == Method.BTD))
            throw new NnzipException("--vbmf applies to svd, svd-asym, spatial and tucker, not " + method.name().toLowerCase().replace('_', '-'));
        if (ttCores < 2 || ttCores > 8) throw new NnzipException("--tt-cores must be in 2..8, got " + ttCores);
        if (blocks < 1) throw new NnzipException("--blocks must be at least 1, got " + blocks);
        if (alsIterations < 0) throw new NnzipException("--als-iterations must be ≥ 0, got " + alsIterations);
        if (method == Method.SVD_ASYM && calibImages < 1) throw new NnzipException("svd-asym needs --calib-images ≥ 1");
    }

    /** The first calibImages calibration images as the model's input, normalized as the model expects. */
    private io.nnzip.ir.Tensor calibration(Model m, PassContext ctx) {
        io.nnzip.data.Dataset d = ctx.data().calibration();
        if (d == null) throw new NnzipException("--method svd-asym fits each layer on calibration data: give --data");
        return io.nnzip.data.ModelInputs.images(d.head(Math.min(calibImages, d.size())), ctx.normalization(m), null);
    }

    public Map<String, Object> describe() { return Configs.toMap(this); }

    @Override
    public String name() { return "factorize"; }

    /** Factorizes a copy of {@code model}, then (finetune &gt; 0) fine-tunes it on the context's training split. */
    @Override
    public PassResult run(Model model, PassContext ctx) {
        Model in = ctx.prepare(model);
        FactorizePass.Result r = FactorizePass.run(in, this, method == Method.SVD_ASYM ? calibration(in, ctx) : null);
        Map<String, Object> res = new LinkedHashMap<>();
        Model out = r.model();
        if (finetune > 0 || eval) {
            Map<String, Object> ft = new LinkedHashMap<>();
            out = ctx.fineTuning().afterRewrite(in, out, FineTuning.Request.of(finetune, lr, schedule, seed), ft).model();
            res.put("finetune", ft);
        }
        res.put("options", describe());
        res.putAll(r.summary());
        List<Map<String, Object>> ls = new ArrayList<>();
        for (LayerReport l : r.layers()) ls.add(l.toJson());
        res.put("layers", ls);
        Map<String, Object> prov = Provenance.record(out, name(), this, null, r.summary());
        return new PassResult(out, res, prov);
    }
}
