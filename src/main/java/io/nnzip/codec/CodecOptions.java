package io.nnzip.codec;

import java.util.Map;
import java.util.TreeMap;

/**
 * How to code a model's tensors.
 * <ul>
 *   <li>{@code lossless}: every tensor bit for bit;</li>
 *   <li>otherwise float weight tensors (rank ≥ 2, ≥ {@link #MIN_QUANTIZED} elements) are quantized uniformly with step
 *       Δ = σ · 2^(QP/4), σ being the standard deviation of the tensor (or of each output channel with
 *       {@code perChannel}); {@code qpOverrides} sets QP per tensor (what {@code --max-drop} finds);</li>
 *   <li>{@code rounding}: the rounding offset θ in q = sign(x)·⌊|x|/Δ + θ⌋ (0.5 = nearest, smaller = wider dead
 *       zone); NaN lets the rate–distortion search pick θ per tensor;</li>
 *   <li>{@code floatMantissa}: in lossy modes, float tensors that are not quantized (biases, normalization
 *       parameters) keep this many mantissa bits (23: exact); recipes record it as {@code float_mantissa=M}, and a
 *       recipe without it (streams of format versions 1 and 2) means 23;</li>
 *   <li>{@code quantizer}: how RD level decisions (rounding NaN) are made: {@link #QUANT_THETA} (default: the fastest encoder, ≥ 100 MB/s per CPU-second both ways) the dead zone only,
 *       {@link #QUANT_RDOQ} also per-weight RDOQ, {@link #QUANT_TRELLIS} also dependent (trellis-coded)
 *       quantization (format version 5); each tensor keeps the candidate of least distortion + λ·rate. Recipes record
 *       them as {@code rdoq} and {@code dq}; a recipe with neither (streams before version 5) means the dead zone
 *       only, so a receiver re-coding a base for an old update reproduces the old encoder.</li>
 * </ul>
 * The default, QP {@value #DEFAULT_QP} (Δ = σ/8), is chosen to be transparent: its quantization noise (σ/28 RMS)
 * left the test accuracy of trained Fashion-MNIST CNNs unchanged within ±0.1 points (BENCHMARKS.md, section Codec).
 */
public record CodecOptions(boolean lossless, int qp, boolean perChannel, double rounding, Map<String, Integer> qpOverrides, int threads, int floatMantissa,
                           int quantizer) implements java.io.Serializable {
    public static final int DEFAULT_QP = -12;
    /** Level decisions (when {@code rounding} is NaN): RD-chosen dead zone only (recipes before format version 5), */
    public static final int QUANT_THETA = 0;
    /** plus scalar RDOQ, */
    public static final int QUANT_RDOQ = 1;
    /** plus dependent (trellis-coded) quantization. */
    public static final int QUANT_TRELLIS = 2;
    public static final int QP_MIN = -64, QP_MAX = 32;
    public static final int MIN_QUANTIZED = 256;

    public CodecOptions {
        qpOverrides = qpOverrides == null ? Map.of() : Map.copyOf(qpOverrides);
        if (qp < QP_MIN || qp > QP_MAX) throw new io.nnzip.ir.NnzipException("QP " + qp + " is out of range [" + QP_MIN + ", " + QP_MAX + "]");
        if (quantizer < QUANT_THETA || quantizer > QUANT_TRELLIS) throw new io.nnzip.ir.NnzipException("unknown quantizer mode " + quantizer);
        if (!(Double.isNaN(rounding) || (rounding >= 0 && rounding <= 0.5)))
            throw new io.nnzip.ir.NnzipException("rounding offset " + rounding + " must lie in [0, 0.5]");
        threads = Math.max(1, threads);
        if (floatMantissa < 3 || floatMantissa > 23) throw new io.nnzip.ir.NnzipException("float mantissa of " + floatMantissa + " bits is out of range [3, 23]");
    }

    public static CodecOptions defaults() { return ofQp(DEFAULT_QP); }

    public static CodecOptions ofQp(int qp) { return new CodecOptions(false, qp, false, Double.NaN, Map.of(), Runtime.getRuntime().availableProcessors(), REDUCED_MANTISSA, QUANT_THETA); }

    public static CodecOptions losslessMode() { return new CodecOptions(true, DEFAULT_QP, false, Double.NaN, Map.of(), Runtime.getRuntime().availableProcessors(), 23, QUANT_THETA); }

    /** Mantissa bits kept for unquantized float tensors in lossy modes: relative error ≤ 2^-9, far below the weights' noise. */
    public static final int REDUCED_MANTISSA = 8;

    public CodecOptions withQp(int q) { return new CodecOptions(lossless, q, perChannel, rounding, qpOverrides, threads, floatMantissa, quantizer); }

    public CodecOptions withOverrides(Map<String, Integer> o) { return new CodecOptions(lossless, qp, perChannel, rounding, o, threads, floatMantissa, quantizer); }

    public CodecOptions withThreads(int t) { return new CodecOptions(lossless, qp, perChannel, rounding, qpOverrides, t, floatMantissa, quantizer); }

    public CodecOptions withPerChannel(boolean p) { return new CodecOptions(lossless, qp, p, rounding, qpOverrides, threads, floatMantissa, quantizer); }

    public CodecOptions withRounding(double r) { return new CodecOptions(lossless, qp, perChannel, r, qpOverrides, threads, floatMantissa, quantizer); }

    public CodecOptions withFloatMantissa(int m) { return new CodecOptions(lossless, qp, perChannel, rounding, qpOverrides, threads, m, quantizer); }

    public CodecOptions withQuantizer(int qz) { return new CodecOptions(lossless, qp, perChannel, rounding, qpOverrides, threads, floatMantissa, qz); }

    public int qpFor(String tensor) { return qpOverrides.getOrDefault(tensor, qp); }

    /** The options as a one-line recipe, recorded in every stream header (and parsed back by {@link #parseRecipe}). */
    public String recipe() {
        StringBuilder s = new StringBuilder(lossless ? "lossless" : "qp=" + qp);
        if (!lossless) {
            if (perChannel) s.append(";per_channel");
            if (!Double.isNaN(rounding)) s.append(";rounding=").append(rounding);
            if (floatMantissa < 23) s.append(";float_mantissa=").append(floatMantissa);
            if (quantizer == QUANT_RDOQ) s.append(";rdoq");
            if (quantizer == QUANT_TRELLIS) s.append(";dq");
            for (Map.Entry<String, Integer> e : new TreeMap<>(qpOverrides).entrySet())
                s.append(";qp[").append(e.getKey().replace("]", "\\]").replace(";", "\\;")).append("]=").append(e.getValue());
        }
        return s.toString();
    }

    /** Recipe element of an update coded at other options than its base: the base's recipe, as hex of its UTF-8 bytes (no escaping needed). */
    static final String BASE_RECIPE = "base_recipe=";

    /** An update's recipe {@code update} that also records how the receiver's base was coded ({@code base}). */
    public static String withBaseRecipe(String update, String base) {
        return update + ";" + BASE_RECIPE + java.util.HexFormat.of().formatHex(base.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The recipe the base of an update with recipe {@code r} was coded with: the recorded base recipe, else {@code r} itself. */
    public static String baseRecipe(String r) {
        for (String part : r.split("(?<!\\\\);"))
            if (part.startsWith(BASE_RECIPE)) {
                try {
                    return new String(java.util.HexFormat.of().parseHex(part.substring(BASE_RECIPE.length())), java.nio.charset.StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new io.nnzip.ir.NnzipException("malformed recipe element '" + part + "'");
                }
            }
        return r;
    }

    /** Parses a recipe written by {@link #recipe()}; used to rebuild a base the way the sender did. */
    public static CodecOptions parseRecipe(String r, int threads) {
        if (r.equals("lossless")) return losslessMode().withThreads(threads);
        boolean pc = false;
        double rounding = Double.NaN;
        int qp = DEFAULT_QP, mantissa = 23;
        int quant = QUANT_THETA;
        Map<String, Integer> over = new TreeMap<>();
        for (String part : r.split("(?<!\\\\);")) {
            try {
                if (part.startsWith("qp=")) qp = Integer.parseInt(part.substring(3));
                else if (part.equals("per_channel")) pc = true;
                else if (part.startsWith(BASE_RECIPE)) continue; // how the base was coded: see baseRecipe
                else if (part.equals("rdoq")) quant = QUANT_RDOQ;
                else if (part.equals("dq")) quant = QUANT_TRELLIS;
                else if (part.startsWith("rounding=")) rounding = Double.parseDouble(part.substring(9));
                else if (part.startsWith("float_mantissa=")) mantissa = Integer.parseInt(part.substring(15));
                else if (part.startsWith("qp[")) {
                    int eq = part.lastIndexOf("]=");
                    over.put(part.substring(3, eq).replace("\\]", "]").replace("\\;", ";"), Integer.parseInt(part.substring(eq + 2)));
                } else throw new io.nnzip.ir.NnzipException("unknown recipe element '" + part + "'");
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                throw new io.nnzip.ir.NnzipException("malformed recipe element '" + part + "'");
            }
        }
        return new CodecOptions(false, qp, pc, rounding, over, threads, mantissa, quant);
    }
}
