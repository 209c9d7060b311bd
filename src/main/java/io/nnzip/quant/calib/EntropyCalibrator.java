package io.nnzip.quant.calib;

/**
 * The KL-divergence threshold search popularized by TensorRT: for each candidate threshold i (in bins), take the
 * histogram up to i with the tail folded into the last bin as P, merge it into {@code levels} buckets and expand
 * back over the non-empty bins as Q, and keep the i whose KL(P‖Q) is smallest.
 */
public final class EntropyCalibrator implements Calibrator {
    private final int levels;

    public EntropyCalibrator(int levels) { this.levels = levels; }

    @Override
    public float[] range(TensorStats s) {
        if (s.count == 0 || s.absMax() == 0) return new float[] {s.min, s.max};
        long[] h = s.hist;
        int n = TensorStats.BINS;
        int best = n;
        double bestKl = Double.MAX_VALUE;
        for (int i = levels; i <= n; i += Math.max(1, n / 512)) {
            double[] p = new double[i];
            for (int b = 0; b < i; b++) p[b] = h[b];
            for (int b = i; b < n; b++) p[i - 1] += h[b];
            double[] q = new double[i];
            for (int j = 0; j < levels; j++) {
                int lo = (int) ((long) j * i / levels), hi = (int) ((long) (j + 1) * i / levels);
                double sum = 0;
                int nonEmpty = 0;
                for (int b = lo; b < hi; b++) {
                    sum += p[b];
                    if (p[b] != 0) nonEmpty++;
                }
                for (int b = lo; b < hi; b++) if (p[b] != 0) q[b] = sum / nonEmpty;
            }
            double kl = kl(p, q);
            if (kl < bestKl) {
                bestKl = kl;
                best = i;
            }
        }
        return s.clipped((best + 0.5) * s.binWidth());
    }

    static double kl(double[] p, double[] q) {
        double ps = 0, qs = 0;
        for (int i = 0; i < p.length; i++) {
            ps += p[i];
            qs += q[i];
        }
        if (ps == 0 || qs == 0) return Double.MAX_VALUE;
        double kl = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) continue;
            double pi = p[i] / ps, qi = q[i] / qs;
            // a bin that P fills but Q left empty (the folded tail): penalize with a small floor instead of infinity
            kl += pi * Math.log(pi / Math.max(qi, 1e-12));
        }
        return kl;
    }

    @Override
    public String name() { return "entropy"; }
}
