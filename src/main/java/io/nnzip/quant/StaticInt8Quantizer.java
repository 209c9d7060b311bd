package io.nnzip.quant;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.calib.ActivationRecorder;
import io.nnzip.quant.calib.Calibrator;
import io.nnzip.quant.calib.TensorStats;
import io.nnzip.quant.prep.BatchNormFolder;
import io.nnzip.quant.prep.CrossLayerEqualizer;
import io.nnzip.quant.qdq.FloatBoundary;
import io.nnzip.quant.qdq.QdqPlan;
import io.nnzip.quant.qdq.QdqPlanner;
import io.nnzip.quant.qdq.QdqWriter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Static int8 post-training quantization: fold BatchNorm, optionally equalize, plan Q/DQ placement, calibrate
 * activation ranges over sample batches in ONNX Runtime, optionally correct biases, write QDQ ONNX.
 * Calibration statistics are gathered once and reused when layers are re-quantized with exclusions.
 */
public final class StaticInt8Quantizer {
    /** The prepared float model (BN folded, equalized) is what the quantized one approximates. */
    public record Result(Model model, Model prepared, QdqPlan plan, Map<String, QuantParams> activationParams,
                         List<QdqWriter.WeightLayer> layers, Map<String, Object> notes) {}

    private final QuantConfig cfg;
    private final Model prepared;
    private final Map<String, Object> notes = new LinkedHashMap<>();
    private final Map<String, TensorStats> stats = new HashMap<>();
    private final List<Tensor> batches;
    /** Activation parameters fixed by training (QAT); they replace calibration for their tensors. */
    private final Map<String, QuantParams> trained = new HashMap<>();
    /** Linear-only placement, decided once on the float graph (the Gemm rewrite hides its MatMuls). */
    private final boolean linear;

    public StaticInt8Quantizer(Model floatModel, QuantConfig cfg, List<Tensor> calibBatches) {
        if (floatModel.opset() < 13 && cfg.perChannel)
            throw new NnzipException("per-channel QDQ needs opset ≥ 13; the model is opset " + floatModel.opset() + " (use --per-tensor)");
        this.cfg = cfg;
        this.batches = calibBatches;
        prepared = floatModel.copy();
        notes.put("identities_removed", io.nnzip.quant.prep.InferenceCleanup.removeIdentities(prepared.graph()));
        notes.put("batchnorm_folded", BatchNormFolder.fold(prepared.graph()));
        linear = linearPlacement(prepared.graph());
        // before the Gemm rewrite: smoothing scales MatMul weights by input row and needs the LayerNorm right in front
        if (cfg.smoothquant >= 0)
            notes.put("smoothquant", io.nnzip.quant.prep.SmoothQuant.apply(prepared, cfg.smoothquant, calibBatches, cfg.exclude, cfg.threads));
        // nn.MultiheadAttention transposes (B, T, D) to (T, B, D) before its in-projection: after it, the LayerNorm reaches the layer
        if (linear) notes.put("transposes_after_linear", io.nnzip.quant.prep.TransposeAfterLinear.rewrite(prepared.graph()));
        // ORT's LayerNorm kernel is a serial scalar loop per row; smoothing keeps its factors in γ, QAT has no InstanceNorm gradient
        if (linear && cfg.foldLayerNorm && cfg.smoothquant < 0 && cfg.qat == 0)
            notes.put("layernorms_folded", io.nnzip.quant.prep.LayerNormFold.rewrite(prepared.graph(), prepared.opset()));
        // the fused QKV projection's Split copies its whole output; three projections write the head tensors directly
        if (linear) notes.put("qkv_split", io.nnzip.quant.prep.QkvSplit.rewrite(prepared.graph(), prepared.opset()));
        if (linear)
            notes.put("linear_as_gemm", io.nnzip.quant.prep.LinearToGemm.rewrite(prepared.graph(), prepared.opset()));
        // attention's a·v computed transposed: ORT transposes v and the merged heads in that layout at about half the cost
        if (linear) notes.put("value_heads_transposed", io.nnzip.quant.prep.ValueHeadLayout.rewrite(prepared.graph()));
        if (cfg.equalize) {
            CrossLayerEqualizer.Result r = CrossLayerEqualizer.equalize(prepared.graph(), 4);
            notes.put("equalized_pairs", r.pairs());
            notes.put("relu6_as_relu", r.relu6Replaced());
        }
    }

    public Model prepared() { return prepared; }

    public QuantConfig config() { return cfg; }

    /** Uses {@code params} (tensor → per-tensor parameters, e.g. learned by QAT) instead of calibrating those tensors. */
    public void useTrainedActivations(Map<String, QuantParams> params) { trained.putAll(params); }

    public Result quantize() { return quantize(cfg.exclude); }

    public Result quantize(Set<String> excludeNodes) {
        if (!List.of("auto", "on", "off").contains(cfg.tanhGelu)) throw new NnzipException("tanh_gelu must be auto, on or off, not '" + cfg.tanhGelu + "'");
        Model out = prepared.copy();
        Graph g = out.graph();
        Set<String> exclude = new java.util.LinkedHashSet<>(excludeNodes);
        Set<String> shallow = cfg.floatShallowConvs ? QdqPlanner.shallowConvs(g) : new java.util.LinkedHashSet<>();
        shallow.removeAll(excludeNodes);
        exclude.addAll(shallow);
        int swapped = cfg.symmetric || linear ? 0 : FloatBoundary.swapReluPool(g, exclude);
        QdqPlan plan = plan(g, exclude);
        Calibrator cal = Calibrator.parse(cfg.calibration);
        calibrate(plan, cal);
        DType act = cfg.symmetric ? DType.INT8 : DType.UINT8;
        Map<String, QuantParams> params = new LinkedHashMap<>();
        for (String t : plan.calibrated()) {
            if (trained.containsKey(t)) {
                params.put(t, trained.get(t));
                continue;
            }
            float[] r = cal.range(stats.get(t));
            params.put(t, QuantParams.perTensor(act, QuantMath.params(r[0], r[1], act, cfg.symmetric)));
        }
        if (!cfg.symmetric) FloatBoundary.keepRelu(g, params);
        Map<String, float[]> biases = cfg.biasCorrection ? BiasCorrection.corrections(g, plan, stats, cfg.perChannel) : Map.of();
        List<QdqWriter.WeightLayer> layers = QdqWriter.write(plan, params, cfg.perChannel, biases);
        Map<String, Object> n = new LinkedHashMap<>(notes);
        // ORT runs each attention block as one integer kernel (QAttention) instead of three QGemm and eight head reshapes
        if (linear && cfg.qattention) n.put("qattention_blocks", io.nnzip.quant.prep.QAttentionFusion.rewrite(out));
        if (linear && !cfg.tanhGelu.equals("off"))
            n.put("fast_gelu_nodes", io.nnzip.quant.prep.TanhGelu.rewrite(out, cfg.tanhGelu.equals("auto")));
        n.put("fused_activations", plan.fusedActivations.size());
        if (swapped > 0) n.put("relu_maxpool_swapped", swapped);
        n.put("quantized_tensors", plan.activations.size());
        n.put("quantized_layers", layers.size());
        if (cfg.biasCorrection) n.put("bias_corrected_layers", biases.size());
        Map<String, Object> rec = new LinkedHashMap<>(n);
        rec.put("excluded", String.join(",", exclude));
        n.put("float_layers", List.copyOf(exclude));
        cfg.record(out, rec);
        return new Result(out, prepared, plan, QdqWriter.ordered(plan, params), layers, n);
    }

    /** Collects statistics for tensors not seen yet (later plans with exclusions reuse earlier passes). */
    private void calibrate(QdqPlan plan, Calibrator cal) {
        List<String> todo = plan.calibrated().stream().filter(t -> !stats.containsKey(t)).toList();
        if (todo.isEmpty()) return;
        stats.putAll(ActivationRecorder.stats(prepared, todo, batches, cal.needsHistogram(), cfg.threads));
        for (String t : todo) if (stats.get(t).min > stats.get(t).max) throw new NnzipException("calibration saw no values for '" + t + "'");
    }

    /** Node names of the weight layers a plan quantizes, in graph order (for sensitivity analysis). */
    public List<String> weightLayers() {
        Graph g = prepared.graph().copy();
        return plan(g, cfg.floatShallowConvs ? QdqPlanner.shallowConvs(g) : Set.of()).weightOps.stream().map(Node::name).toList();
    }

    /** The placement {@code cfg.int8Ops} asks for (auto: linear-only on transformers, every integer op elsewhere). */
    private QdqPlan plan(Graph g, Set<String> exclude) {
        if (!linear) return QdqPlanner.plan(g, exclude, !cfg.symmetric);
        Set<String> ex = new java.util.LinkedHashSet<>(exclude);
        // a float Conv (the patch embedding) is faster than one behind Q/DQ whose output ORT cannot keep integer
        for (Node n : g.nodes()) if (n.opType().equals("Conv")) ex.add(n.name());
        return io.nnzip.quant.qdq.LinearPlacement.plan(g, ex, cfg.int8Ops.equals("attention"));
    }

    private boolean linearPlacement(Graph g) {
        return switch (cfg.int8Ops) {
            case "all" -> false;
            case "linear", "attention" -> true;
            case "auto" -> io.nnzip.quant.qdq.LinearPlacement.isTransformer(g);
            default -> throw new NnzipException("--int8-ops must be auto, all, linear or attention, not '" + cfg.int8Ops + "'");
        };
    }
}
