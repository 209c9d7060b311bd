package io.nnzip.quant.calib;

/** The observed minimum and maximum: nothing is clipped. */
public final class MinMaxCalibrator implements Calibrator {
    @Override
    public float[] range(TensorStats s) { return new float[] {s.min, s.max}; }

    @Override
    public boolean needsHistogram() { return false; }

    @Override
    public String name() { return "minmax"; }
}
