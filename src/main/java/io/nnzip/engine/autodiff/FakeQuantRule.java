package io.nnzip.engine.autodiff;

import io.nnzip.ir.Tensor;

/**
 * Backward of FakeQuantize. With v = x / scale and q = round(v) + zp:
 * <ul>
 * <li>input: the straight-through estimator, dy where q lies inside [qmin, qmax] and 0 where the quantizer
 * saturates (there its true derivative is 0 as well);</li>
 * <li>scale: as in LSQ (Esser et al., 2020), round treated as identity inside the range, so
 * dy/dscale = round(v) - v there, and qmin - zp / qmax - zp (the exact derivative) where it saturates;
 * summed over the tensor. Optimizers that need LSQ's gradient scale apply it themselves;</li>
 * <li>zero point: none (it stays fixed).</li>
 * </ul>
 */
final class FakeQuantRule {
    private FakeQuantRule() {}

    // x: any shape, scale: scalar, zp: scalar -> dx: shape of x, dscale: scalar
    static Tensor[] backward(GradStep s) {
        float[] x = s.x(0), dy = s.dy();
        float scale = s.in(1).toFloats()[0], zp = s.in(2).toFloats()[0];
        long qmin = s.node().attrInt("qmin", 0), qmax = s.node().attrInt("qmax", 255);
        float[] dx = s.need(0) ? s.gradBuffer(0, false) : null;
        int n = x.length, chunks = Math.max(1, Math.min(64, n >> 14));
        double[] partial = new double[chunks];
        s.par().forRange(chunks, 1, (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                double acc = 0;
                for (int i = (int) ((long) n * c / chunks), end = (int) ((long) n * (c + 1) / chunks); i < end; i++) {
                    double v = x[i] / scale, q = Math.rint(v) + zp;
                    if (q < qmin) {
                        if (dx != null) dx[i] = 0f;
                        acc += dy[i] * (qmin - zp);
                    } else if (q > qmax) {
                        if (dx != null) dx[i] = 0f;
                        acc += dy[i] * (qmax - zp);
                    } else {
                        if (dx != null) dx[i] = dy[i];
                        acc += dy[i] * (q - zp - v);
                    }
                }
                partial[c] = acc;
            }
        });
        Tensor[] r = new Tensor[s.in().length];
        if (dx != null) r[0] = s.like(0, dx);
        if (s.need(1)) {
            double sum = 0;
            for (double p : partial) sum += p;
            r[1] = s.like(1, new float[] {(float) sum});
        }
        return r;
    }
}
