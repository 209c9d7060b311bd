package io.nnzip.codec;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.List;

/**
 * Where the encoder gets tensors: a model's graph (its initializers may be absent) plus a loader called once per
 * tensor, so a model larger than memory can be coded tensor by tensor (only a window of tensors is in flight).
 */
public interface TensorSource {
    /** The model with its numeric initializers present, or stripped when {@link #names()} lists them instead. */
    Model graph();

    /** Initializer names to code, in order. */
    List<String> names();

    Tensor load(String name);

    /**
     * The unit tensor {@code name} is already coded as (its levels decided elsewhere, e.g. by error-compensated
     * quantization), or null to code {@link #load} with the options; {@link #load} then returns its reconstruction.
     */
    default TensorUnit coded(String name) { return null; }

    /** {@code m} (whose initializers hold the reconstructions) with the tensors of {@code units} coded as given. */
    static TensorSource withUnits(Model m, java.util.Map<String, TensorUnit> units) {
        TensorSource s = of(m);
        return new TensorSource() {
            @Override
            public Model graph() { return m; }

            @Override
            public List<String> names() { return s.names(); }

            @Override
            public Tensor load(String name) { return m.graph().initializer(name); }

            @Override
            public TensorUnit coded(String name) { return units.get(name); }
        };
    }

    static TensorSource of(Model m) {
        List<String> names = m.graph().initializers().entrySet().stream()
                .filter(e -> e.getValue().dtype() != io.nnzip.ir.DType.STRING).map(java.util.Map.Entry::getKey).toList();
        return new TensorSource() {
            @Override
            public Model graph() { return m; }

            @Override
            public List<String> names() { return names; }

            @Override
            public Tensor load(String name) { return m.graph().initializer(name); }
        };
    }
}
