package io.nnzip.train;

import java.util.List;

/** Clipping by global L2 norm: when ‖g‖ exceeds the limit every gradient is scaled by limit/‖g‖. */
public final class GradClip {
    private GradClip() {}

    /** Returns the norm before clipping. */
    public static double clipNorm(List<Param> params, double maxNorm) {
        double ss = 0;
        for (Param p : params) for (float g : p.grad()) ss += (double) g * g;
        double norm = Math.sqrt(ss);
        if (maxNorm > 0 && norm > maxNorm) {
            float s = (float) (maxNorm / norm);
            for (Param p : params) {
                float[] g = p.grad();
                for (int i = 0; i < g.length; i++) g[i] *= s;
            }
        }
        return norm;
    }
}
