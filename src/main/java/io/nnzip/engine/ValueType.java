package io.nnzip.engine;

import io.nnzip.ir.DType;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;

/**
 * What shape inference knows of a value: its element type, its shape ({@code null} when even the rank is
 * unknown, {@code -1} for an unknown dim) and, when the value is a compile-time constant, the value itself.
 * Constants are what let shape subgraphs (Shape → Gather → Concat → Reshape) resolve to exact shapes.
 */
public record ValueType(DType dtype, int[] shape, Tensor constant) {
    public static ValueType of(DType t, int... shape) { return new ValueType(t, shape, null); }

    public static ValueType constant(Tensor t) { return new ValueType(t.dtype(), t.shape(), t); }

    public static ValueType unknown(DType t) { return new ValueType(t, null, null); }

    public boolean isConstant() { return constant != null; }

    public boolean hasShape() { return shape != null; }

    public int rank() { return shape == null ? -1 : shape.length; }

    /** Every dim known. */
    public boolean isConcrete() {
        if (shape == null) return false;
        for (int d : shape) if (d < 0) return false;
        return true;
    }

    public int numel() { return isConcrete() ? Shapes.numel(shape) : -1; }

    @Override
    public String toString() { return (dtype == null ? "?" : dtype.lower()) + (shape == null ? "[?]" : Shapes.str(shape)) + (constant != null ? "=const" : ""); }
}
