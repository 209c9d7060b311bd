package io.nnzip.codec.rd;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.TensorReport;
import io.nnzip.codec.TensorSource;
import io.nnzip.ir.Model;
import io.nnzip.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A stream written and held to an accuracy floor as written: the per-layer steps a --max-drop search chose are coded,
 * the file decoded and measured on the validation images; if it is under the floor the biases first get their usual
 * mantissa back, then every searched layer steps 1 QP finer, at most {@link #MAX_BACKOFFS} times. Judged as the
 * search judges: the credited accuracy (less {@link SensitivitySearch#MARGIN_SE} standard errors of the paired
 * difference).
 */
public final class CheckedEncode {
    /**
     * Mantissa bits of the unquantized floats (biases) in a --max-drop coding: once the weights sit at the coarsest
     * steps the bound allows, biases are a visible share of the stream, and 5 bits (relative error ≤ 2^-6) is still
     * far finer than those steps; the written stream's check falls back to the codec's default if it is not.
     */
    public static final int SEARCHED_MANTISSA = 5;

    /** At most this many 1-QP back-offs after the final check (each costs one encode and one validation pass). */
    public static final int MAX_BACKOFFS = 4;

    /**
     * What was written.
     *
     * @param paired   the decoded stream's validation accuracy and the standard error of its paired difference to the original
     */
    public record Written(CodecOptions options, Model decoded, double[] paired, int backoffs, List<TensorReport> tensors) {}

    private CheckedEncode() {}

    /** Codes {@code m} into {@code output} (temp file + rename); with {@code comp}, its layers error-compensated at their QPs. */
    public static List<TensorReport> write(Path output, Model m, CodecOptions o, ErrorCompensation comp) {
        TensorSource src = TensorSource.of(m);
        if (comp != null) {
            Map<String, Integer> qps = new LinkedHashMap<>();
            for (String w : comp.layers()) qps.put(w, o.qpFor(w));
            src = comp.source(m, qps);
        }
        TensorSource fs = src;
        AtomicReference<List<TensorReport>> reports = new AtomicReference<>();
        AtomicFiles.write(output, out -> reports.set(ModelEncoder.encode(fs, o, out)));
        return reports.get();
    }

    /**
     * Writes {@code m} with the searched options {@code o} (biases at {@link #SEARCHED_MANTISSA} bits) and backs off
     * until the decoded file's credited validation accuracy reaches {@code floor} or the back-offs run out.
     */
    public static Written settle(Path output, Model m, CodecOptions o, ErrorCompensation comp, OutputProbe probe, double floor, Consumer<String> log)
            throws IOException {
        if (o.floatMantissa() > SEARCHED_MANTISSA) o = o.withFloatMantissa(SEARCHED_MANTISSA);
        List<TensorReport> tensors = write(output, m, o, comp);
        Model decoded = decode(output);
        double[] vp = probe.paired(decoded);
        if (credited(vp) < floor && o.floatMantissa() < CodecOptions.REDUCED_MANTISSA) {
            o = o.withFloatMantissa(CodecOptions.REDUCED_MANTISSA);
            tensors = write(output, m, o, comp);
            decoded = decode(output);
            vp = probe.paired(decoded);
            log.accept(String.format("biases back at %d mantissa bits: validation accuracy %.2f%% (credited %.2f%%)", CodecOptions.REDUCED_MANTISSA, 100 * vp[0], 100 * credited(vp)));
        }
        int backoffs = 0;
        while (credited(vp) < floor && backoffs < MAX_BACKOFFS) {
            Map<String, Integer> finer = new LinkedHashMap<>();
            for (String w : o.qpOverrides().keySet()) finer.put(w, Math.max(CodecOptions.QP_MIN, o.qpFor(w) - 1));
            o = o.withOverrides(finer);
            backoffs++;
            tensors = write(output, m, o, comp);
            decoded = decode(output);
            vp = probe.paired(decoded);
            log.accept(String.format("back-off %d: validation accuracy %.2f%% (credited %.2f%%)", backoffs, 100 * vp[0], 100 * credited(vp)));
        }
        return new Written(o, decoded, vp, backoffs, tensors);
    }

    private static double credited(double[] paired) { return paired[0] - SensitivitySearch.MARGIN_SE * paired[1]; }

    private static Model decode(Path output) throws IOException { return NnzCodec.decode(Files.readAllBytes(output), output.toString()); }
}
