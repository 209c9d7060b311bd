package io.nnzip.quant.weight;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * 16-bit weight storage that the engine and ONNX Runtime both run through plain ops, and that the .nnz codec stores
 * natively (half-precision floats losslessly, int16 as integer levels):
 * <ul>
 * <li>bf16: the float's top 16 bits, rounded to nearest even; a Cast back to float (opset ≥ 13) that ORT folds at
 * load. Same exponent range as float32, so no weight overflows; 8 significant bits.</li>
 * <li>fixed16: symmetric fixed point with one power-free scale per output channel, codes in [−32767, 32767],
 * Cast → Mul(scale column). 15 bits below the channel's largest magnitude: far finer than bf16 for the usual
 * weights, coarser only for the few tiny ones.</li>
 * </ul>
 */
public final class SixteenBitQuantizer {
    static final int FIXED_MAX = 32767;

    private SixteenBitQuantizer() {}

    /** bfloat16 bits of {@code f}, rounded to nearest even (NaN stays a quiet NaN). */
    public static short toBfloat16(float f) {
        int b = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((b >>> 16) | 0x40);
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    public static float fromBfloat16(short h) { return Float.intBitsToFloat(h << 16); }

    public static EncodedWeight bf16(Tensor w, int outAxis) {
        float[] x = w.toFloats();
        short[] h = new short[x.length];
        float[] deq = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            h[i] = toBfloat16(x[i]);
            deq[i] = fromBfloat16(h[i]);
        }
        int[] shape = w.shape();
        EncodedWeight.Emitter emit = (g, base) -> {
            String b = Containers.init(g, base + "_bf16", new Tensor(DType.BFLOAT16, shape.clone(), h.clone()));
            return Containers.node(g, "Cast", base + "_f", new ArrayList<>(List.of(b)), Attribute.of("to", (long) DType.FLOAT.onnx));
        };
        return new EncodedWeight(deq, 16, "bfloat16", 2L * x.length, 1f, 1f, 0, emit);
    }

    public static EncodedWeight fixed16(Tensor w, int outAxis) {
        WeightMatrix wm = WeightMatrix.of(w, outAxis);
        int rows = wm.rows(), cols = wm.cols();
        float[] m = wm.m();
        float[] scale = new float[rows];
        int[] code = new int[m.length];
        float[] deq = new float[m.length];
        float smin = Float.MAX_VALUE, smax = 0;
        for (int r = 0; r < rows; r++) {
            float max = 0;
            for (int i = 0; i < cols; i++) max = Math.max(max, Math.abs(m[r * cols + i]));
            // an all-zero channel keeps codes 0 under scale 1 (a zero scale would make the decode 0/0 elsewhere)
            float s = max > 0 ? max / FIXED_MAX : 1f;
            scale[r] = s;
            smin = Math.min(smin, s);
            smax = Math.max(smax, s);
            for (int i = 0; i < cols; i++) {
                int q = (int) Math.max(-FIXED_MAX, Math.min(FIXED_MAX, Math.rint(m[r * cols + i] / s)));
                code[r * cols + i] = q;
                deq[r * cols + i] = q * s;
            }
        }
        EncodedWeight.Emitter emit = (g, base) -> {
            String qi = Containers.init(g, base + "_fixed16", new Tensor(DType.INT16, new int[] {rows, cols}, code.clone()));
            String f = Containers.node(g, "Cast", base + "_codes_f", new ArrayList<>(List.of(qi)), Attribute.of("to", (long) DType.FLOAT.onnx));
            String col = Containers.init(g, base + "_scale", Tensor.of(scale.clone(), rows, 1));
            return wm.restore(g, Containers.node(g, "Mul", base + "_scaled", new ArrayList<>(List.of(f, col))), base);
        };
        return new EncodedWeight(wm.toOriginal(deq), 16, "int16", 2L * m.length + 4L * rows, smin, smax, 0, emit);
    }
}
