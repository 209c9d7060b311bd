package io.nnzip.engine;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The one check every command runs on a model it reads, so that {@code info}, {@code run}, {@code encode} and every
 * pass accept and refuse the same files: IR version and default-domain opset in the range nnzip implements, at least
 * one graph output, unique value names, no cycles, and every op one the engine knows. Duplicate attributes and
 * initializers are refused earlier, by {@link OnnxReader}, because the IR cannot hold both copies.
 */
public final class ModelValidator {
    public static final long MIN_IR_VERSION = 3, MAX_IR_VERSION = 12;
    public static final long MIN_OPSET = 6, MAX_OPSET = 24;

    private ModelValidator() {}

    /** Reads an ONNX file and validates it; every error is one line starting with the file name. */
    public static Model read(Path file) {
        return validate(OnnxReader.read(file), file.toString());
    }

    /** {@link #validate(Model)} with errors prefixed by {@code where} (the file the model came from); returns {@code m}. */
    public static Model validate(Model m, String where) {
        try {
            validate(m);
        } catch (NnzipException e) {
            throw new NnzipException(where + ": " + e.getMessage(), e);
        }
        return m;
    }

    public static void validate(Model m) {
        if (m.irVersion() < MIN_IR_VERSION || m.irVersion() > MAX_IR_VERSION)
            throw new NnzipException("ir_version " + m.irVersion() + " is not supported (nnzip reads " + MIN_IR_VERSION + ".." + MAX_IR_VERSION + ")");
        Long opset = null;
        for (Map.Entry<String, Long> e : m.opsets().entrySet())
            if (e.getKey().isEmpty() || e.getKey().equals("ai.onnx")) {
                if (opset != null) throw new NnzipException("opset_import names the default ONNX domain twice");
                opset = e.getValue();
            }
        if (opset == null) throw new NnzipException("no opset_import for the default ONNX domain (ai.onnx)");
        if (opset < MIN_OPSET || opset > MAX_OPSET)
            throw new NnzipException("opset " + opset + " is not supported (nnzip runs ai.onnx opsets " + MIN_OPSET + ".." + MAX_OPSET + ")");
        Graph g = m.graph();
        if (g.outputs().isEmpty()) throw new NnzipException("graph '" + g.name() + "' has no outputs");
        knownOps(g.nodes(), "graph");
        GraphValidator.validate(g);
    }

    private static void knownOps(List<Node> nodes, String where) {
        for (Node n : nodes) {
            if (!OpRegistry.supports(n.domain(), n.opType()))
                throw new NnzipException(where + ": " + n.describe() + ": unsupported op "
                        + (n.domain().isEmpty() || n.domain().equals("ai.onnx") ? "" : n.domain() + ".") + n.opType());
            for (Attribute a : n.attributes().values()) {
                if (a.type() == Attribute.Type.GRAPH) knownOps(((Graph) a.value()).nodes(), where + "/" + n.describe() + "." + a.name());
                if (a.type() == Attribute.Type.GRAPHS)
                    for (Object sg : (List<?>) a.value()) knownOps(((Graph) sg).nodes(), where + "/" + n.describe() + "." + a.name());
            }
        }
    }
}
