package io.nnzip.quant.calib;

/**
 * Picks the clipping threshold t that minimizes the expected squared error of quantizing the histogram to
 * {@code bits} bits: rounding noise step²/12 for values inside [-t, t] plus (|x| - t)² for clipped ones. The grid
 * spans [0, t] for non-negative tensors and [-t, t] otherwise.
 */
public final class MseCalibrator implements Calibrator {
    private static final int CANDIDATES = 200;
    private final int bits;

    public MseCalibrator(int bits) { this.bits = bits; }

    @Override
    public float[] range(TensorStats s) {
        if (s.count == 0 || s.absMax() == 0) return new float[] {s.min, s.max};
        double w = s.binWidth(), levels = (1 << bits) - 1;
        double bestT = s.absMax(), bestErr = Double.MAX_VALUE;
        for (int c = 1; c <= CANDIDATES; c++) {
            double t = s.absMax() * c / CANDIDATES;
            double step = (s.nonNegative() ? t : 2 * t) / levels;
            double err = 0;
            for (int b = 0; b < TensorStats.BINS; b++) {
                if (s.hist[b] == 0) continue;
                double v = (b + 0.5) * w;
                err += s.hist[b] * (v <= t ? step * step / 12 : (v - t) * (v - t));
            }
            if (err < bestErr) {
                bestErr = err;
                bestT = t;
            }
        }
        return s.clipped(bestT);
    }

    @Override
    public String name() { return "mse"; }
}
