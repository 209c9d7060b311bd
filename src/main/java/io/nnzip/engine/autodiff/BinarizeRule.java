package io.nnzip.engine.autodiff;

import io.nnzip.engine.ops.BinaryOps;
import io.nnzip.ir.Tensor;

/**
 * Backward of Binarize, y = step(x − t) between two levels (0/1 or −1/1). The step's derivative is zero almost
 * everywhere, so the straight-through estimator of binarized networks stands in: the derivative of the hard tanh
 * ramp that joins the two levels over x − t ∈ [−1, 1], i.e. (hi − lo)/2 inside that window and 0 outside.
 * The threshold sees the same slope with the opposite sign, summed over the tensor.
 */
final class BinarizeRule {
    private BinarizeRule() {}

    // x: any shape, t: scalar -> dx: shape of x, dt: scalar
    static Tensor[] backward(GradStep s) {
        float[] x = s.x(0), dy = s.dy();
        float t = s.in(1).toFloats()[0], slope = s.node().attrInt(BinaryOps.PM1, 0) != 0 ? 1f : 0.5f;
        float[] dx = s.need(0) ? s.gradBuffer(0, false) : null;
        double dt = 0;
        for (int i = 0; i < x.length; i++) {
            float g = Math.abs(x[i] - t) <= 1f ? slope * dy[i] : 0f;
            if (dx != null) dx[i] = g;
            dt -= g;
        }
        Tensor[] r = new Tensor[s.in().length];
        if (dx != null) r[0] = s.like(0, dx);
        if (s.need(1)) r[1] = s.like(1, new float[] {(float) dt});
        return r;
    }
}
