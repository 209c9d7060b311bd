package io.nnzip.prune;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.models.zoo.Zoo;
import io.nnzip.engine.ModelValidator;
import java.nio.file.Path;

/**
 * The MODEL argument of prune and sensitivity: an ONNX file, or {@code zoo:NAME:SIZE[:WIDTH]} for one of the
 * exporter-style zoo graphs (10 classes, seed 42), so benchmarks are reproducible from the command line alone.
 */
public final class ModelSource {
    private ModelSource() {}

    public static Model read(String spec) {
        if (!spec.startsWith("zoo:")) return ModelValidator.read(Path.of(spec));
        String[] p = spec.split(":");
        if (p.length < 3 || p.length > 4) throw new NnzipException("zoo model spec is zoo:NAME:SIZE[:WIDTH], not '" + spec + "'");
        try {
            int size = Integer.parseInt(p[2]);
            double width = p.length == 4 ? Double.parseDouble(p[3]) : 1.0;
            if (size < 32 || size > 1024 || !(width > 0)) throw new NnzipException("zoo size must be 32..1024 and width positive in '" + spec + "'");
            return Zoo.build(p[1], size, width, 10, 42);
        } catch (NumberFormatException e) {
            throw new NnzipException("zoo model spec is zoo:NAME:SIZE[:WIDTH], not '" + spec + "'");
        }
    }
}
