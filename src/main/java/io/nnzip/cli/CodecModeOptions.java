package io.nnzip.cli;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.EncodeConfig;
import io.nnzip.ir.NnzipException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The coding-mode flags shared by encode, diff and pack. */
final class CodecModeOptions {
    @Option(names = "--lossless", description = "Code every tensor bit for bit.")
    boolean lossless;

    @Option(names = "--qp", paramLabel = "QP", description = "Quantization parameter: step = sigma_all * 2^(QP/4) for all weight tensors (--no-equal-steps: sigma * 2^(QP/4) per tensor) (default ${DEFAULT-VALUE}, transparent).",
            defaultValue = "" + CodecOptions.DEFAULT_QP)
    int qp;

    @Option(names = "--per-channel", description = "One step per output channel instead of per tensor.")
    boolean perChannel;

    @Option(names = "--rounding", paramLabel = "THETA", description = "Rounding offset in [0, 0.5] (0.5 = nearest); default: chosen per tensor by rate-distortion.")
    Double rounding;

    @Option(names = "--qp-of", paramLabel = "TENSOR=QP", description = "QP of one tensor, overriding --qp (repeatable; what --max-drop reports in the recipe).")
    java.util.Map<String, Integer> qpOf;

    @Option(names = "--equal-steps", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "One absolute step for all weight tensors: step = sigma_all * 2^(QP/4), sigma_all the size-weighted RMS of the tensors' standard deviations (recorded as per-tensor QPs; --qp-of still overrides). Default on where one model is coded (encode, diff, pack); push and serve keep per-tensor steps. --no-equal-steps: each tensor's step from its own sigma.")
    boolean equalSteps;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--quantizer", defaultValue = "theta", description = "Level decisions: theta (dead-zone rounding, fastest), rdoq (also per-weight rate-distortion) or dq (also dependent, trellis-coded quantization: smaller at fine steps, ~15x slower to encode, decodes slower) (default ${DEFAULT-VALUE}).")
    String quantizer;

    @Option(names = "--float-mantissa", paramLabel = "BITS", description = "Mantissa bits kept for the float tensors the codec does not quantize (biases, normalization parameters, k-means codebooks, tensors under 256 elements), 3..23; 23 keeps them exact (default "
            + CodecOptions.REDUCED_MANTISSA + "; a recipe's encode: {float_mantissa: ...}).")
    Integer floatMantissa;

    @Option(names = "--threads", paramLabel = "N", description = "Threads (default: all cores).")
    int threads = OptionRules.CORES;

    /** The flags as the typed coding config recipes use too, at QP {@code at} (--qp, or a searched one). */
    EncodeConfig config(int at) {
        try {
            if (lossless && floatMantissa != null) throw new NnzipException("float_mantissa does not apply to lossless coding");
            return new EncodeConfig(false, lossless, at, perChannel, rounding, equalSteps, quantizer, qpOf, "full",
                    floatMantissa == null ? CodecOptions.REDUCED_MANTISSA : floatMantissa);
        } catch (NnzipException e) {
            // the config names its options as recipes spell them; here they are flags
            throw new NnzipException(e.getMessage().replaceAll("\\b(quantizer|per_channel|rounding|qp_of|equal_steps|lossless|float_mantissa)\\b", "--$1").replace('_', '-'));
        }
    }

    /** The codec options for coding {@code m} (--equal-steps resolved on its tensors). */
    CodecOptions options(io.nnzip.ir.Model m) { return options(m, qp); }

    /** As {@link #options(io.nnzip.ir.Model)} at QP {@code at} instead of --qp (--qp-of still overrides). */
    CodecOptions options(io.nnzip.ir.Model m, int at) { return config(at).options(m, threads); }

    /** The codec options where no model is at hand: per-tensor steps (an explicit --equal-steps needs a model and is refused). */
    CodecOptions options() {
        if (equalSteps && command != null && command.commandLine() != null && command.commandLine().getParseResult() != null
                && command.commandLine().getParseResult().hasMatchedOption("--equal-steps"))
            throw new NnzipException("--equal-steps needs the model being coded; this command does not take it");
        return config(qp).options(null, threads);
    }
}
