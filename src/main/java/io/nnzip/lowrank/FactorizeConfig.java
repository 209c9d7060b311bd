package io.nnzip.lowrank;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every option of the factorize pass, each with a description; {@link #describe()} is what the output model
 * records in its metadata so the result can be reproduced from its own file. Exactly one of rank, energy,
 * targetMacs or vbmf selects the ranks.
 */
public record FactorizeConfig(Method method, Integer rank, Double energy, Double targetMacs, boolean vbmf, String layers,
                              int hooiSweeps, int cpIterations, long seed, int finetuneEpochs) {

    public enum Method {
        SVD("Gemm/MatMul W (N×M) -> N×K then K×M (bottleneck linear layers)"),
        SPATIAL("k×k conv -> k×1 conv then 1×k conv with an intermediate rank"),
        TUCKER("Tucker-2 on a conv's channel modes: 1×1 -> k×k core -> 1×1"),
        CP("CP decomposition by ALS: 1×1 -> depthwise k×1 -> depthwise 1×k -> 1×1");

        public final String description;

        Method(String d) { description = d; }

        public static Method parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase());
            } catch (IllegalArgumentException e) {
                throw new io.nnzip.ir.NnzipException("--method must be svd, spatial, tucker or cp, not '" + s + "'");
            }
        }
    }

    public static final Map<String, String> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("method", "factorization: svd, spatial, tucker or cp");
        FIELDS.put("rank", "fixed rank for every factorized layer (each mode for tucker), or null");
        FIELDS.put("energy", "per-layer share (0..1) of the spectrum's energy to keep, i.e. relative squared kernel error <= 1-energy; or null");
        FIELDS.put("target_macs", "global budget: output model MACs as a fraction of the input model's; or null");
        FIELDS.put("vbmf", "ranks from the empirical variational Bayesian matrix factorization estimate (svd, spatial, tucker)");
        FIELDS.put("layers", "regular expression (find) on node names selecting the layers to factorize; null = all eligible");
        FIELDS.put("hooi_sweeps", "Tucker: HOOI refinement sweeps after the HOSVD start");
        FIELDS.put("cp_iterations", "CP: maximum ALS iterations per rank tried");
        FIELDS.put("seed", "seed of CP's random initial factor columns");
        FIELDS.put("finetune_epochs", "epochs of end-to-end fine-tuning after the rewrite (0 = none)");
    }

    public void check() {
        int set = (rank != null ? 1 : 0) + (energy != null ? 1 : 0) + (targetMacs != null ? 1 : 0) + (vbmf ? 1 : 0);
        if (set != 1) throw new io.nnzip.ir.NnzipException("give exactly one of --rank, --energy, --target-macs, --vbmf");
        if (rank != null && rank < 1) throw new io.nnzip.ir.NnzipException("--rank must be at least 1, got " + rank);
        if (energy != null && !(energy > 0 && energy <= 1)) throw new io.nnzip.ir.NnzipException("--energy must be in (0, 1], got " + energy);
        if (targetMacs != null && !(targetMacs > 0 && targetMacs < 1)) throw new io.nnzip.ir.NnzipException("--target-macs must be in (0, 1), got " + targetMacs);
        if (vbmf && method == Method.CP) throw new io.nnzip.ir.NnzipException("--vbmf applies to svd, spatial and tucker, not cp");
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method.name().toLowerCase());
        m.put("rank", rank);
        m.put("energy", energy);
        m.put("target_macs", targetMacs);
        m.put("vbmf", vbmf);
        m.put("layers", layers);
        m.put("hooi_sweeps", hooiSweeps);
        m.put("cp_iterations", cpIterations);
        m.put("seed", seed);
        m.put("finetune_epochs", finetuneEpochs);
        return m;
    }
}
