package io.nnzip.engine;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.canon.Canonicalizer;
import io.nnzip.ir.canon.Rewrite;
import io.nnzip.ir.canon.StaticValues;
import java.util.List;
import java.util.Map;

/**
 * The canonicalization every pass runs before it analyses a model: {@link Canonicalizer}'s rules, with static
 * values found by running shape inference twice, with the dynamic dims bound to two different sizes — what
 * comes out equal both times does not depend on them and may be folded.
 */
public final class Canonical {
    private Canonical() {}

    /** Canonicalizes {@code m} in place and returns the rewrites applied (for the pass report). */
    public static List<Rewrite> apply(Model m) { return Canonicalizer.run(m, Canonical::probe); }

    /** {@link Canonicalizer#foldShapeArithmetic} with this class's static values: for a training tape's graph. */
    public static int foldShapeArithmetic(Model m) { return Canonicalizer.foldShapeArithmetic(m, Canonical::probe); }

    /** Static values of {@code m}; nothing when shape inference cannot follow the graph (an op the engine lacks). */
    public static StaticValues probe(Model m) {
        Map<String, ValueType> a, b;
        try {
            a = ShapeInference.infer(m.graph(), m.opset(), 2, Map.of());
            b = ShapeInference.infer(m.graph(), m.opset(), 3, Map.of());
        } catch (RuntimeException e) {
            return StaticValues.NONE;
        }
        return new StaticValues() {
            @Override
            public Tensor constant(String v) {
                ValueType x = a.get(v), y = b.get(v);
                if (x == null || y == null || !x.isConstant() || !y.isConstant()) return null;
                return x.constant().equals(y.constant()) ? x.constant() : null;
            }

            @Override
            public int[] shape(String v) {
                ValueType x = a.get(v), y = b.get(v);
                if (x == null || y == null || x.shape() == null || y.shape() == null || x.rank() != y.rank()) return null;
                int[] s = x.shape().clone();
                for (int i = 0; i < s.length; i++) if (s[i] != y.shape()[i] || s[i] < 0) s[i] = -1;
                return s;
            }
        };
    }
}
