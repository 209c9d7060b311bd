package io.nnzip.codec;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.pass.Configs;
import io.nnzip.pass.Setting;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a model is coded into a .nnz: the typed form of the coding-mode options, built by the CLI's flags and by a
 * recipe's {@code encode:} map alike ({@link Configs} snake_case keys), so neither re-parses the other's text.
 */
public record EncodeConfig(
        @Setting(value = "code the model as its difference against the input model (an update the receiver applies with patch)", dflt = "false") boolean diff,
        @Setting(value = "code every tensor bit for bit", dflt = "false") boolean lossless,
        @Setting(value = "quantization parameter: step = sigma_all * 2^(QP/4) (equal_steps), or sigma * 2^(QP/4) per tensor", dflt = "" + CodecOptions.DEFAULT_QP) int qp,
        @Setting(value = "one step per output channel instead of per tensor", dflt = "false") boolean perChannel,
        @Setting("rounding offset in [0, 0.5] (0.5 = nearest); null: chosen per tensor by rate-distortion") Double rounding,
        @Setting(value = "one absolute step for all weight tensors (sigma_all * 2^(QP/4)), recorded as per-tensor QPs; false: each tensor's step from its own sigma (the rule before equal steps became the default)", dflt = "true") boolean equalSteps,
        @Setting(value = "level decisions: theta (dead-zone rounding), rdoq (also per-weight rate-distortion) or dq (also trellis-coded)", dflt = "theta") String quantizer,
        @Setting("QP per tensor name, overriding qp") Map<String, Integer> qpOf,
        @Setting(value = "pass records (nnzip.<pass> metadata) the stream keeps: full, compact (without option descriptions) or none; the input normalization always stays", dflt = "full") String provenance,
        @Setting(value = "mantissa bits kept for the float tensors that are not quantized (biases, normalization parameters, tensors under 256 elements) in lossy modes, 3..23 (23: exact)",
                dflt = "" + CodecOptions.REDUCED_MANTISSA) int floatMantissa) {

    public EncodeConfig(boolean diff, boolean lossless, int qp, boolean perChannel, Double rounding, boolean equalSteps, String quantizer, Map<String, Integer> qpOf, String provenance) {
        this(diff, lossless, qp, perChannel, rounding, equalSteps, quantizer, qpOf, provenance, CodecOptions.REDUCED_MANTISSA);
    }

    public EncodeConfig {
        qpOf = qpOf == null ? Map.of() : Map.copyOf(qpOf);
        quantizer = quantizer == null ? "theta" : quantizer;
        quantizerMode(quantizer);
        provenance = provenance == null ? "full" : provenance;
        if (!io.nnzip.pass.Provenance.MODES.contains(provenance))
            throw new NnzipException("provenance must be one of " + io.nnzip.pass.Provenance.MODES + ", not '" + provenance + "'");
        // equal_steps is a default like qp: it is silently irrelevant to lossless coding
        if (lossless && (perChannel || rounding != null || !qpOf.isEmpty()))
            throw new NnzipException("per_channel, rounding and qp_of do not apply to lossless coding");
        if (floatMantissa < 3 || floatMantissa > 23) throw new NnzipException("float_mantissa must be in 3..23, got " + floatMantissa);
        if (lossless && floatMantissa != CodecOptions.REDUCED_MANTISSA) throw new NnzipException("float_mantissa does not apply to lossless coding");
        for (int q : qpOf.values())
            if (q < CodecOptions.QP_MIN || q > CodecOptions.QP_MAX) throw new NnzipException("qp_of: QP " + q + " is out of range [" + CodecOptions.QP_MIN + ", " + CodecOptions.QP_MAX + "]");
    }

    /** From a recipe's map (snake_case keys), defaults for the rest. */
    public static EncodeConfig of(Map<String, ?> values) { return Configs.of(EncodeConfig.class, values); }

    public static int quantizerMode(String name) {
        return switch (name) {
            case "theta" -> CodecOptions.QUANT_THETA;
            case "rdoq" -> CodecOptions.QUANT_RDOQ;
            case "dq" -> CodecOptions.QUANT_TRELLIS;
            default -> throw new NnzipException("quantizer must be theta, rdoq or dq, not '" + name + "'");
        };
    }

    /**
     * The codec options for coding {@code m} (equal steps are resolved on its tensors) with {@code threads}; with no
     * model at hand (null: a server coding many models) each tensor keeps its own step.
     */
    public CodecOptions options(Model m, int threads) {
        if (lossless) return CodecOptions.losslessMode().withThreads(threads);
        CodecOptions o = CodecOptions.ofQp(qp).withQuantizer(quantizerMode(quantizer)).withPerChannel(perChannel).withFloatMantissa(floatMantissa);
        if (rounding != null) o = o.withRounding(rounding);
        Map<String, Integer> q = new TreeMap<>();
        if (equalSteps && m != null) q.putAll(EqualSteps.qps(m, qp));
        q.putAll(qpOf);
        if (!q.isEmpty()) o = o.withOverrides(q);
        return o.withThreads(threads);
    }
}
