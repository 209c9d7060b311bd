package io.nnzip.engine.autodiff;

import io.nnzip.ir.Tensor;

/**
 * Backward of OneHotQuant, y = the nearest of {0} ∪ {s·2^−e}. Input: straight through (dy) up to the top level s,
 * 0 above it where the output saturates. Scale: as in LSQ, the rounding treated as a constant, so dy/ds = y/s − x/s
 * below s and 1 above it (y = s there); summed over the tensor.
 */
final class OneHotRule {
    private OneHotRule() {}

    // x: any shape, s: scalar -> dx: shape of x, ds: scalar
    static Tensor[] backward(GradStep s) {
        float[] x = s.x(0), dy = s.dy(), y = s.y();
        float scale = s.in(1).toFloats()[0];
        float[] dx = s.need(0) ? s.gradBuffer(0, false) : null;
        double ds = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] > scale) {
                if (dx != null) dx[i] = 0f;
                ds += dy[i];
            } else {
                if (dx != null) dx[i] = dy[i];
                ds += dy[i] * (y[i] - x[i]) / scale;
            }
        }
        Tensor[] r = new Tensor[s.in().length];
        if (dx != null) r[0] = s.like(0, dx);
        if (s.need(1)) r[1] = s.like(1, new float[] {(float) ds});
        return r;
    }
}
