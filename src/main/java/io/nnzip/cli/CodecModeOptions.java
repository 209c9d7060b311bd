package io.nnzip.cli;

import io.nnzip.codec.CodecOptions;
import io.nnzip.ir.NnzipException;
import picocli.CommandLine.Option;

/** The coding-mode flags shared by encode, diff and pack. */
final class CodecModeOptions {
    @Option(names = "--lossless", description = "Code every tensor bit for bit.")
    boolean lossless;

    @Option(names = "--qp", paramLabel = "QP", description = "Quantization parameter: step = sigma * 2^(QP/4) per tensor (default ${DEFAULT-VALUE}, transparent).",
            defaultValue = "" + CodecOptions.DEFAULT_QP)
    int qp;

    @Option(names = "--per-channel", description = "One step per output channel instead of per tensor.")
    boolean perChannel;

    @Option(names = "--rounding", paramLabel = "THETA", description = "Rounding offset in [0, 0.5] (0.5 = nearest); default: chosen per tensor by rate-distortion.")
    Double rounding;

    @Option(names = "--qp-of", paramLabel = "TENSOR=QP", description = "QP of one tensor, overriding --qp (repeatable; what --max-drop reports in the recipe).")
    java.util.Map<String, Integer> qpOf;

    @Option(names = "--equal-steps", description = "One absolute step for all weight tensors: step = sigma_all * 2^(QP/4), sigma_all the size-weighted RMS of the tensors' standard deviations (recorded as per-tensor QPs; --qp-of still overrides).")
    boolean equalSteps;

    @Option(names = "--quantizer", defaultValue = "theta", description = "Level decisions: theta (dead-zone rounding, fastest), rdoq (also per-weight rate-distortion) or dq (also dependent, trellis-coded quantization: smaller at fine steps, ~15x slower to encode, decodes slower) (default ${DEFAULT-VALUE}).")
    String quantizer;

    @Option(names = "--threads", paramLabel = "N", description = "Threads (default: all cores).")
    int threads = OptionRules.CORES;

    /** {@link #options()}, with --equal-steps resolved on model {@code m}. */
    CodecOptions options(io.nnzip.ir.Model m) { return options(m, qp); }

    /** As {@link #options(io.nnzip.ir.Model)} at QP {@code at} instead of --qp (--qp-of still overrides). */
    CodecOptions options(io.nnzip.ir.Model m, int at) {
        CodecOptions o = options().withQp(at);
        if (!equalSteps) return o;
        java.util.Map<String, Integer> q = new java.util.TreeMap<>(io.nnzip.codec.EqualSteps.qps(m, at));
        if (qpOf != null) q.putAll(qpOf);
        return o.withOverrides(q);
    }

    CodecOptions options() {
        CodecOptions o = lossless ? CodecOptions.losslessMode() : CodecOptions.ofQp(qp);
        if (!lossless) {
            o = o.withQuantizer(switch (quantizer) {
                case "theta" -> CodecOptions.QUANT_THETA;
                case "rdoq" -> CodecOptions.QUANT_RDOQ;
                case "dq" -> CodecOptions.QUANT_TRELLIS;
                default -> throw new NnzipException("--quantizer must be theta, rdoq or dq, not '" + quantizer + "'");
            });
            o = o.withPerChannel(perChannel);
            if (rounding != null) o = o.withRounding(rounding);
            if (qpOf != null) {
                for (int q : qpOf.values())
                    if (q < CodecOptions.QP_MIN || q > CodecOptions.QP_MAX) throw new NnzipException("--qp-of: QP " + q + " is out of range [" + CodecOptions.QP_MIN + ", " + CodecOptions.QP_MAX + "]");
                o = o.withOverrides(qpOf);
            }
        } else if (perChannel || rounding != null || qpOf != null || equalSteps) throw new NnzipException("--per-channel, --rounding, --qp-of and --equal-steps do not apply to --lossless");
        return o.withThreads(threads);
    }
}
