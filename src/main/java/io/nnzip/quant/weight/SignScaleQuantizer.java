package io.nnzip.quant.weight;

import io.nnzip.ir.Tensor;

/**
 * Binary and ternary weights with one scale per output channel, stored as codes in {-1, 0, 1}: int4 behind a
 * per-axis DequantizeLinear (compact, but ORT never constant-folds DequantizeLinear, so it decodes on every run),
 * or int8 through Cast → Mul(scale column), which ORT folds once at session load (float speed).
 * <ul>
 * <li>binary (Rastegari et al., XNOR-Net's binary-weight networks): w ≈ α·sign(w), α = mean |w| of the channel,
 * the least-squares optimal scale for a sign pattern;</li>
 * <li>ternary (Li &amp; Liu, ternary weight networks): threshold Δ = 0.7·mean |w| of the channel, codes sign(w)
 * where |w| > Δ else 0, α = mean |w| over the weights above Δ.</li>
 * </ul>
 */
public final class SignScaleQuantizer {
    private final boolean ternary;
    private final boolean int4Container;

    public SignScaleQuantizer(boolean ternary, boolean int4Container) {
        this.ternary = ternary;
        this.int4Container = int4Container;
    }

    /** Codes (−1/0/1) and per-row scales for a row-major rows×cols matrix. */
    public static float[] codes(float[] m, int rows, int cols, boolean ternary, int[] code) {
        float[] alpha = new float[rows];
        for (int r = 0; r < rows; r++) {
            double meanAbs = 0;
            for (int i = 0; i < cols; i++) meanAbs += Math.abs(m[r * cols + i]);
            meanAbs /= cols;
            double delta = ternary ? 0.7 * meanAbs : -1, sum = 0;
            int kept = 0;
            for (int i = 0; i < cols; i++) {
                float v = m[r * cols + i];
                int c = Math.abs(v) > delta ? (v >= 0 ? 1 : -1) : 0;
                code[r * cols + i] = c;
                if (c != 0) {
                    sum += Math.abs(v);
                    kept++;
                }
            }
            alpha[r] = kept > 0 ? (float) (sum / kept) : 0f;
        }
        return alpha;
    }

    public EncodedWeight encode(Tensor w, int outAxis) {
        return ScaledCodes.encode(w, outAxis, (m, rows, cols, code) -> codes(m, rows, cols, ternary, code), ternary ? 2 : 1, int4Container, ternary ? "ternary" : "binary");
    }
}
