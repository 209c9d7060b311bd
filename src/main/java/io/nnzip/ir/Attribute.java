package io.nnzip.ir;

import java.util.Arrays;
import java.util.List;

/**
 * A node attribute. Values by type: FLOAT {@code Float}, INT {@code Long}, STRING {@code String}, TENSOR
 * {@link Tensor}, GRAPH {@link Graph}, FLOATS {@code float[]}, INTS {@code long[]}, STRINGS {@code String[]},
 * TENSORS {@code List<Tensor>}, GRAPHS {@code List<Graph>}; OPAQUE keeps the serialized bytes of kinds nnzip does
 * not interpret (sparse tensors, type protos) so they survive a round trip.
 */
public record Attribute(String name, Type type, Object value) {
    public enum Type { FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS, TENSORS, GRAPHS, OPAQUE }

    public static Attribute of(String name, float v) { return new Attribute(name, Type.FLOAT, v); }

    public static Attribute of(String name, long v) { return new Attribute(name, Type.INT, v); }

    public static Attribute of(String name, String v) { return new Attribute(name, Type.STRING, v); }

    public static Attribute of(String name, Tensor v) { return new Attribute(name, Type.TENSOR, v); }

    public static Attribute of(String name, Graph v) { return new Attribute(name, Type.GRAPH, v); }

    public static Attribute of(String name, float[] v) { return new Attribute(name, Type.FLOATS, v.clone()); }

    public static Attribute of(String name, long... v) { return new Attribute(name, Type.INTS, v.clone()); }

    public static Attribute of(String name, String[] v) { return new Attribute(name, Type.STRINGS, v.clone()); }

    public static Attribute tensors(String name, List<Tensor> v) { return new Attribute(name, Type.TENSORS, List.copyOf(v)); }

    public static Attribute graphs(String name, List<Graph> v) { return new Attribute(name, Type.GRAPHS, List.copyOf(v)); }

    public Attribute copy() {
        return switch (type) {
            case GRAPH -> new Attribute(name, type, ((Graph) value).copy());
            case GRAPHS -> new Attribute(name, type, ((List<?>) value).stream().map(g -> ((Graph) g).copy()).toList());
            case FLOATS -> new Attribute(name, type, ((float[]) value).clone());
            case INTS -> new Attribute(name, type, ((long[]) value).clone());
            case STRINGS -> new Attribute(name, type, ((String[]) value).clone());
            case OPAQUE -> new Attribute(name, type, ((byte[]) value).clone());
            default -> this;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Attribute a && name.equals(a.name) && type == a.type
                && Arrays.deepEquals(new Object[] {value}, new Object[] {a.value});
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + type.hashCode(); }

    @Override
    public String toString() {
        Object v = switch (type) {
            case FLOATS -> Arrays.toString((float[]) value);
            case INTS -> Arrays.toString((long[]) value);
            case STRINGS -> Arrays.toString((String[]) value);
            case GRAPH -> "<graph>";
            case OPAQUE -> "<" + ((byte[]) value).length + " bytes>";
            default -> value;
        };
        return name + "=" + v;
    }
}
