package io.nnzip.engine.ops.support;

import java.math.BigDecimal;

/**
 * Number → text the way Cast to string renders it (numpy's str): the shortest decimal that round-trips,
 * positional for 1e-4 <= |v| < 1e16 (1e6 for float32), otherwise scientific with a two-digit signed exponent
 * ("1e-05", "1.2345679e+08").
 */
public final class NumberText {
    private NumberText() {}

    public static String of(double v, boolean single) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return (1 / v < 0) ? "-0.0" : "0.0";
        // Java's toString is already the shortest round-tripping decimal; only its layout differs.
        BigDecimal d = new BigDecimal(single ? Float.toString((float) v) : Double.toString(v)).stripTrailingZeros();
        int exp = d.precision() - d.scale() - 1;
        double a = Math.abs(v);
        if (a >= 1e-4 && a < (single ? 1e6 : 1e16)) {
            String p = d.toPlainString();
            return p.contains(".") ? p : p + ".0";
        }
        String digits = d.unscaledValue().abs().toString();
        String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (d.signum() < 0 ? "-" : "") + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
}
