package io.nnzip.quant.weight;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

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
        WeightMatrix wm = WeightMatrix.of(w, outAxis);
        int rows = wm.rows(), cols = wm.cols();
        int[] code = new int[rows * cols];
        float[] alpha = codes(wm.m(), rows, cols, ternary, code);
        float[] deq = new float[code.length];
        float smin = Float.MAX_VALUE, smax = 0;
        for (int r = 0; r < rows; r++) {
            // DequantizeLinear needs a non-zero scale; an all-zero row keeps codes 0 with scale 1
            if (alpha[r] == 0) alpha[r] = 1f;
            smin = Math.min(smin, alpha[r]);
            smax = Math.max(smax, alpha[r]);
            for (int i = 0; i < cols; i++) deq[r * cols + i] = code[r * cols + i] * alpha[r];
        }
        DType t = int4Container ? DType.INT4 : DType.INT8;
        long bytes = t.rawBytes(code.length) + 4L * rows;
        EncodedWeight.Emitter emit = (g, base) -> {
            String qi = Containers.init(g, base + (ternary ? "_ternary" : "_binary"), Containers.ints(t, new int[] {rows, cols}, code));
            if (t == DType.INT8) {
                String f = Containers.node(g, "Cast", base + "_codes_f", new ArrayList<>(List.of(qi)), Attribute.of("to", (long) DType.FLOAT.onnx));
                String col = Containers.init(g, base + "_scale", Tensor.of(alpha.clone(), rows, 1));
                return wm.restore(g, Containers.node(g, "Mul", base + "_scaled", new ArrayList<>(List.of(f, col))), base);
            }
            String si = Containers.init(g, base + "_scale", Tensor.of(alpha.clone(), rows));
            String zi = Containers.init(g, base + "_zero_point", Containers.ints(t, new int[] {rows}, new int[rows]));
            String dq = Containers.node(g, "DequantizeLinear", base + "_dq", new ArrayList<>(List.of(qi, si, zi)), Attribute.of("axis", 0L));
            return wm.restore(g, dq, base);
        };
        return new EncodedWeight(wm.toOriginal(deq), ternary ? 2 : 1, t.lower(), bytes, smin, smax, 0, emit);
    }
}
