package io.nnzip.engine.ops.support;

/** Special functions the JDK lacks. */
public final class Special {
    private Special() {}

    /**
     * The error function to about 1e-12 relative: Maclaurin series for |x| < 2.5, a continued fraction for the
     * complement beyond (Numerical Recipes style Lentz evaluation); erf(±inf) = ±1.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax < 2.5) {
            double term = ax, sum = ax, x2 = ax * ax;
            for (int k = 1; k < 100; k++) {
                term *= -x2 / k;
                double add = term / (2 * k + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            double r = 2 / Math.sqrt(Math.PI) * sum;
            return x < 0 ? -r : r;
        }
        if (ax > 6) return x < 0 ? -1 : 1;
        // erfc(z) = exp(-z^2)/sqrt(pi) * 1/(z + 1/2/(z + 1/(z + 3/2/(z + ...))))
        double f = ax, c = ax, d = 0, tiny = 1e-300;
        for (int k = 1; k < 200; k++) {
            double a = k / 2.0;
            d = ax + a * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = ax + a / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-15) break;
        }
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        return x < 0 ? erfc - 1 : 1 - erfc;
    }
}
