package io.nnzip.ir;

import java.util.Arrays;
import java.util.List;

/**
 * A named value's declared type: element type (null when not declared) and shape (null when the rank is unknown;
 * dims may be symbolic).
 */
public record ValueInfo(String name, DType dtype, List<Dim> dims) {
    public ValueInfo {
        dims = dims == null ? null : List.copyOf(dims);
    }

    public static ValueInfo of(String name, DType t, long... dims) {
        return new ValueInfo(name, t, Arrays.stream(dims).mapToObj(d -> d < 0 ? Dim.UNKNOWN : Dim.of(d)).toList());
    }

    public ValueInfo withName(String n) { return new ValueInfo(n, dtype, dims); }

    public boolean hasShape() { return dims != null; }

    /** The shape with every unknown or symbolic dim replaced by {@code fill}; null when the rank is unknown. */
    public int[] concreteShape(int fill) {
        if (dims == null) return null;
        int[] s = new int[dims.size()];
        for (int i = 0; i < s.length; i++) s[i] = dims.get(i).known() ? (int) dims.get(i).value() : fill;
        return s;
    }

    public String shapeString() {
        return dims == null ? "?" : dims.toString().replace(" ", "");
    }
}
