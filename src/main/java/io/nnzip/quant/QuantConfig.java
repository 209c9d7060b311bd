package io.nnzip.quant;

import io.nnzip.ir.Model;
import io.nnzip.pass.Configs;
import io.nnzip.pass.Pass;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Provenance;
import io.nnzip.pass.Setting;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The quantize pass: every option a described field (set them directly, or build from values with {@link #of}).
 * The options, tool version and platform go into the output model's provenance ({@code nnzip.quantize}).
 */
public final class QuantConfig implements Pass {
    @Setting("int8 (static PTQ, QDQ), dynamic-int8 (MatMul weights int8, activations quantized per batch at run time), int4 / int2 (grouped weight-only), kmeans:BITS, binary, ternary, inq:BITS, fp16 (whole graph float16), bf16 / fixed16 (16-bit weights), "
            + "bitsplit:BITS (bit-split-and-stitching PTQ on calibration data), stt (soft-threshold ternary: two binary kernels, --qat), onehot:BITS (power-of-two weights and activations, --qat)")
    public String scheme = "int8";
    @Setting("int8: one weight scale per output channel (else one per tensor)")
    public boolean perChannel = true;
    @Setting("int8: activations symmetric int8 with zero point 0 (else asymmetric uint8)")
    public boolean symmetric = false;
    @Setting("int8: activation range calibrator: minmax, percentile:P, entropy or mse")
    public String calibration = "minmax";
    @Setting("number of calibration samples")
    public int calibSize = 512;
    @Setting("node names left in float")
    public Set<String> exclude = new LinkedHashSet<>();
    @Setting("int8: cross-layer equalization of Conv→ReLU→Conv pairs before calibration")
    public boolean equalize = false;
    @Setting("int8: correct each layer's bias for the mean shift its weight quantization causes")
    public boolean biasCorrection = false;
    @Setting("int8: keep dense convs with a reduction depth below 16 (e.g. a first layer on 1-channel input) in float, where ORT's float kernel is faster")
    public boolean floatShallowConvs = true;
    @Setting("int8: ops given integer kernels: all (every op ORT has one for, the CNN placement), linear (only MatMul/Gemm/Conv with weights; "
            + "everything between stays float so ORT's float fusions survive), attention (linear plus the activation×activation MatMuls), "
            + "auto (linear on transformers, i.e. graphs with Softmax and weight MatMuls; else all)")
    public String int8Ops = "auto";
    @Setting("int8 on transformers (linear placement): each attention block's Q/K/V linears, scores, softmax and a·v as one ONNX Runtime com.microsoft "
            + "QAttention (same int8 weights side by side; the file then needs ORT or nnzip's engine); false keeps standard ONNX ops")
    public boolean qattention = true;
    @Setting("int8 on transformers (linear placement): each LayerNorm's gamma and beta folded into the linear layers reading it (a mean-pooled or "
            + "class-token head included) and the normalization written as InstanceNormalization over (batch, tokens, features): the same function, "
            + "which ONNX Runtime runs faster; not with smoothquant (its factors live in gamma) or qat; false keeps the LayerNorms")
    public boolean foldLayerNorm = true;
    @Setting("int8 on transformers (linear placement): the exact (erf) GELU written as ONNX Runtime's com.microsoft FastGelu, the tanh approximation "
            + "(|difference| <= 4.8e-4 per value; a different function, faster in ORT): auto (only GELUs whose output is quantized with a step of at "
            + "least 16x that difference, where it is under 1/16 of a step), on (every GELU), off")
    public String tanhGelu = "auto";
    @Setting("int8: largest accuracy drop (points) allowed; sensitive layers fall back to float until met (negative = off)")
    public double maxDrop = -1;
    @Setting("int4/int2: weights per scale along the input axis")
    public int groupSize = 64;
    @Setting("weight-only schemes: storage of integer weights: nbits (com.microsoft MatMulNBits for MatMul weights, any opset; group size a power of two ≥ 16), int4 (opset 21 DequantizeLinear), int8 (any opset), float (decoded values), "
            + "auto (int4/int2: nbits for the MatMuls of transformers and of graphs nnzip cannot raise to opset 21, int4 for the rest where the opset allows; else int8, which ORT decodes once at load)")
    public String container = "auto";
    @Setting("int4/int2 weight-only: float tables of at least 1024 values that no linear layer reads (learned position and token embeddings, class tokens; read by Add, Sub, Concat, Expand, Slice or Gather): "
            + "int8 (one scale per feature, or per row of a Gather's table, behind a DequantizeLinear) or float")
    public String tables = "int8";
    @Setting("int4/int2: GPTQ error compensation: each linear layer's inputs quantized one at a time, the rounding error pushed onto the remaining inputs through the inverse Hessian of calibration inputs")
    public boolean gptq = false;
    @Setting("GPTQ: damping added to the Hessian's diagonal, as a fraction of its mean diagonal")
    public double gptqDamp = 0.01;
    @Setting("int4/int2: AWQ activation-aware scaling: per input channel mean|x|^alpha moved from activations into weights, alpha searched per layer input on calibration data")
    public boolean awq = false;
    @Setting("AWQ: grid steps for alpha in [0, 1]")
    public int awqGrid = 20;
    @Setting("int8: SmoothQuant migration strength alpha in [0, 1] (per input channel max|x|^alpha / max|w|^(1-alpha) folded into the preceding LayerNorm); negative = off")
    public double smoothquant = -1;
    @Setting("weight-only: quantize weights only (activations stay float)")
    public boolean weightOnly = false;
    @Setting("kmeans: epochs of centroid fine-tuning (gradients summed per cluster)")
    public int finetune = 0;
    @Setting("QAT epochs with fake-quantization and straight-through gradients (0 = none)")
    public int qat = 0;
    @Setting("int8 QAT: activation ranges learned (LSQ, gradient to the scale) or ema (tracked min/max)")
    public String qatRanges = "learned";
    @Setting("QAT / fine-tuning: Adam learning rate (unset: " + BNN_LR + " for binary with activations, else " + DEFAULT_LR + ")")
    public Float lr = null;
    @Setting("QAT / fine-tuning: use only the first N training images (0 = all)")
    public int trainLimit = 0;
    @Setting("binary: activations of binarized layers: none (weights only), 01 ({0,1} above a learned threshold) or pm1 (±1, XNOR)")
    public String activations = "none";
    @Setting("binary with activations: keep the first and last weight layers float")
    public boolean binaryFloatEnds = true;
    @Setting("fp16: graph inputs and outputs float16 too (default: they stay float32 behind one Cast each)")
    public boolean halfIo = false;
    @Setting("write intermediate values, initializers and nodes under short names (v0, w0, n0, ...): exported graphs name every edge after its module path, a tenth of a 4-bit file; "
            + "on (or true), off (or false), auto (on for int4/int2 weight-only, whose point is a small file; graph inputs and outputs keep their names)")
    public String compactNames = "auto";

    /** Whether the output's names are compacted: {@link #compactNames} with auto resolved for this config's scheme. */
    public boolean compactsNames() {
        return switch (compactNames.toLowerCase(java.util.Locale.ROOT)) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            case "auto" -> Scheme.parse(scheme).kind() == Scheme.Kind.GROUPED;
            default -> throw new io.nnzip.ir.NnzipException("compact_names must be auto, on or off, not '" + compactNames + "'");
        };
    }
    @Setting("threads for ONNX Runtime")
    public int threads = 2;
    @Setting("random seed (data order in fine-tuning)")
    public long seed = 1;

    @Setting("batch for the ONNX Runtime latency comparison with the float model (0 = skip)")
    public int latencyBatch = 256;

    /** The learning rate when none is given. */
    public static final float DEFAULT_LR = 1e-4f;

    /**
     * A binarized network's (activations 01/pm1) when none is given: every BNN figure in BENCHMARKS.md trained at 2e-3;
     * at 1e-4 a PyTorch ResNet's binary QAT reached 9.9 % training accuracy against 34.3 % at 2e-3 in one epoch.
     */
    public static final float BNN_LR = 2e-3f;

    /** The learning rate QAT and fine-tuning use: the given one, else this scheme's default. */
    public float lr() {
        if (lr != null) return lr;
        boolean bnn = Scheme.parse(scheme).kind() == Scheme.Kind.BINARY && !"none".equals(activations);
        return bnn ? BNN_LR : DEFAULT_LR;
    }

    /** A config from option values by snake_case key (a recipe step, a Java caller); defaults for the rest. */
    public static QuantConfig of(Map<String, ?> values) { return Configs.of(QuantConfig.class, values); }

    @Override
    public String name() { return "quantize"; }

    /**
     * Quantizes a copy of {@code model}: calibration on the context's calibration images, comparison on its
     * validation split (else the calibration images), --qat / --finetune on its training split (int8 --qat on the
     * context's remote workers when it has them).
     */
    @Override
    public PassResult run(Model model, PassContext ctx) {
        QuantizePipeline.Outcome out = new QuantizePipeline(this, ctx.log(), ctx.remote()).run(ctx.prepare(model), ctx.data(), latencyBatch);
        return new PassResult(out.model(), out.report(), Provenance.read(out.model(), name()));
    }

    /** Field name → current value. */
    public Map<String, Object> values() { return Configs.toMap(this); }

    /** Field name → description. */
    public static Map<String, String> describe() { return Configs.describe(QuantConfig.class); }

    /** Writes the options and provenance into {@code m}'s metadata. */
    public void record(Model m, Map<String, Object> extra) { Provenance.record(m, name(), this, extra, null); }
}
