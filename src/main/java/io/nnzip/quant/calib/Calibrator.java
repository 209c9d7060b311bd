package io.nnzip.quant.calib;

import io.nnzip.ir.NnzipException;

/**
 * Chooses the float range [lo, hi] an activation is quantized over, from its {@link TensorStats}. Wider ranges
 * waste levels on rare outliers; narrower ones clip them. Names as the CLI spells them: minmax,
 * percentile:P, entropy, mse.
 */
public interface Calibrator {
    float[] range(TensorStats s);

    /** Whether this calibrator reads the histogram (so a second pass over the data is needed). */
    default boolean needsHistogram() { return true; }

    String name();

    static Calibrator parse(String spec) {
        String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("minmax")) return new MinMaxCalibrator();
        if (s.equals("entropy") || s.equals("kl")) return new EntropyCalibrator(128);
        if (s.equals("mse")) return new MseCalibrator(8);
        if (s.startsWith("percentile")) {
            double p = 99.99;
            if (s.contains(":")) {
                try {
                    p = Double.parseDouble(s.substring(s.indexOf(':') + 1));
                } catch (NumberFormatException e) {
                    throw new NnzipException("--calibration " + spec + ": the percentile must be a number, e.g. percentile:99.99");
                }
            }
            if (!(p > 50 && p <= 100)) throw new NnzipException("--calibration " + spec + ": the percentile must be in (50, 100]");
            return new PercentileCalibrator(p);
        }
        throw new NnzipException("--calibration must be minmax, percentile:P, entropy or mse, not '" + spec + "'");
    }
}
