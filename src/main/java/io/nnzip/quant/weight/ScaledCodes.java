package io.nnzip.quant.weight;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Weights stored as small integer codes times one scale per output channel, w = α_row · code: bit-split's stitched
 * integers, soft-threshold ternary's {−1, 0, 1} and one-hot's single-set-bit codes. Stored like the binary and
 * ternary schemes: int8 codes → Cast → Mul(α column), which ONNX Runtime folds once at load (float speed), or int4
 * behind a per-axis DequantizeLinear when every code fits in [−8, 7].
 */
public final class ScaledCodes {
    /** Fills {@code codes} (rows × cols, row-major) for a rows × cols weight matrix and returns α per row. */
    @FunctionalInterface
    public interface Coder {
        float[] code(float[] m, int rows, int cols, int[] codes);
    }

    private ScaledCodes() {}

    /**
     * @param bits   information per weight, for the report
     * @param suffix names the code initializer ({@code <weight>_<suffix>})
     */
    public static EncodedWeight encode(Tensor w, int outAxis, Coder coder, int bits, boolean int4Container, String suffix) {
        WeightMatrix wm = WeightMatrix.of(w, outAxis);
        int rows = wm.rows(), cols = wm.cols();
        int[] code = new int[rows * cols];
        float[] alpha = coder.code(wm.m(), rows, cols, code).clone();
        int lo = 0, hi = 0;
        for (int c : code) {
            lo = Math.min(lo, c);
            hi = Math.max(hi, c);
        }
        if (lo < -128 || hi > 127) throw new NnzipException(suffix + " codes of " + java.util.Arrays.toString(w.shape()) + " span [" + lo + ", " + hi + "], outside int8");
        DType t = int4Container && lo >= -8 && hi <= 7 ? DType.INT4 : DType.INT8;
        float[] deq = new float[code.length];
        float smin = Float.MAX_VALUE, smax = 0;
        for (int r = 0; r < rows; r++) {
            // DequantizeLinear needs a non-zero scale; an all-zero row keeps codes 0 with scale 1
            if (alpha[r] == 0) alpha[r] = 1f;
            smin = Math.min(smin, alpha[r]);
            smax = Math.max(smax, alpha[r]);
            for (int i = 0; i < cols; i++) deq[r * cols + i] = code[r * cols + i] * alpha[r];
        }
        long bytes = t.rawBytes(code.length) + 4L * rows;
        EncodedWeight.Emitter emit = (g, base) -> {
            String qi = Containers.init(g, base + "_" + suffix, Containers.ints(t, new int[] {rows, cols}, code));
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
        return new EncodedWeight(wm.toOriginal(deq), bits, t.lower(), bytes, smin, smax, 0, emit);
    }

    /** The rows × cols matrix view of a weight (rows = output channels) and back: for coders that need the layout. */
    public static float[] rows(Tensor w, int outAxis) { return WeightMatrix.of(w, outAxis).m(); }

    public static int rowCount(Tensor w, int outAxis) { return WeightMatrix.of(w, outAxis).rows(); }
}
