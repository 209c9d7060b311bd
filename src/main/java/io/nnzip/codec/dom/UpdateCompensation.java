package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Arrays;

/**
 * Error compensation for an update: the GPTQ-style column-by-column compensation of {@link ErrorCompensation},
 * applied to the difference {@code next − received} on the grid the update is coded with. At a coarse update step
 * most of a weight's change rounds to zero; compensation moves the change of the inputs not yet quantized so that
 * the layer's output (on calibration inputs) stays close to the new model's, so the patched model tolerates a
 * coarser step. The result is a target model whose difference to the base rounds to nearest (θ = 0.5) onto the
 * compensated levels; the decoder needs nothing new.
 */
public final class UpdateCompensation {
    private static final int PASSES = 3;

    private UpdateCompensation() {}

    /** The options compensated targets must be coded with: per-tensor steps, rounding to nearest. */
    public static CodecOptions codingOptions(CodecOptions o) { return ErrorCompensation.codingOptions(o); }

    /** {@code next} with each compensated layer replaced by base + its compensated difference at the options' QP for it. */
    public static Model target(ErrorCompensation ec, Model received, Model next, CodecOptions o) {
        Model out = next.copy();
        for (String name : ec.layers()) {
            Tensor t = next.graph().initializer(name), b = received.graph().initializer(name);
            if (b == null || b.dtype() != DType.FLOAT || !Arrays.equals(b.shape(), t.shape()) || t.equals(b)) continue;
            float[] adjusted = layer(t.floats(), b.floats(), t.shape(), ec.factor(name), o.qpFor(name));
            out.graph().initializers().put(name, new Tensor(DType.FLOAT, t.shape(), adjusted));
        }
        return out;
    }

    /**
     * The compensated values of one layer's weights {@code w} against {@code base} at QP {@code qp} (base + the
     * compensated difference), with factor {@code u} of its input statistics.
     */
    static float[] layer(float[] w, float[] base, int[] shape, double[][] u, int qp) {
        int d = u.length, rows = w.length / d;
        long[] dims = Arrays.stream(shape).asLongStream().toArray();
        float[] diff = new float[w.length], adjusted = w;
        for (int i = 0; i < w.length; i++) diff[i] = w[i] - base[i];
        // The update's step follows the coded tensor's spread, which the compensation moves: repeat until they agree.
        for (int pass = 0; pass < PASSES; pass++) {
            double step = BaseGrid.steps(adjusted, base, dims, -1, qp)[0];
            float[] c = ErrorCompensation.compensate(diff, rows, d, u, step);
            adjusted = new float[w.length];
            for (int i = 0; i < w.length; i++) adjusted[i] = base[i] + c[i];
        }
        return adjusted;
    }

    /** What the receiver reconstructs from compensated values {@code adjusted}: base + the rounded difference on the update's grid. */
    static float[] received(float[] adjusted, float[] base, int[] shape, int qp) {
        long[] dims = Arrays.stream(shape).asLongStream().toArray();
        double step = BaseGrid.steps(adjusted, base, dims, -1, qp)[0];
        float[] r = new float[adjusted.length];
        for (int i = 0; i < r.length; i++) {
            double x = adjusted[i] - base[i];
            r[i] = (float) (base[i] + ErrorCompensation.level(x, step) * step);
        }
        return r;
    }
}
