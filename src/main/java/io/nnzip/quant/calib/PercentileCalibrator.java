package io.nnzip.quant.calib;

/** Clips |x| at the given percentile of its distribution (e.g. 99.99 drops the top 0.01% as outliers). */
public final class PercentileCalibrator implements Calibrator {
    private final double percentile;

    public PercentileCalibrator(double percentile) { this.percentile = percentile; }

    @Override
    public float[] range(TensorStats s) {
        if (s.count == 0) return new float[] {s.min, s.max};
        long target = (long) Math.ceil(s.count * percentile / 100.0);
        long seen = 0;
        for (int b = 0; b < TensorStats.BINS; b++) {
            seen += s.hist[b];
            if (seen >= target) return s.clipped((b + 1) * s.binWidth());
        }
        return new float[] {s.min, s.max};
    }

    @Override
    public String name() { return "percentile:" + percentile; }
}
