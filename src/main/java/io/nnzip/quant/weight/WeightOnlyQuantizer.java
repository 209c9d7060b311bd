package io.nnzip.quant.weight;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Applies a weight encoding to every Conv / Gemm / MatMul weight initializer (biases and activations stay float):
 * the weight input is rewired to the subgraph that rebuilds it. Also the place where a float model is given the
 * encoded values directly ({@link #simulate}), which fine-tuning and QAT start from.
 */
public final class WeightOnlyQuantizer {
    /** One encoded layer. */
    public record Layer(Node node, String weight, Tensor original, EncodedWeight encoded) {}

    private WeightOnlyQuantizer() {}

    /** Weight ops of a graph with their output-channel axis; excluded node names are skipped. */
    public static Map<Node, Integer> weightOps(Graph g, Set<String> exclude) {
        Map<Node, Integer> m = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            if (exclude.contains(n.name()) || !g.isInitializer(n.input(1)) || g.initializer(n.input(1)).dtype() != DType.FLOAT) continue;
            int axis = switch (n.opType()) {
                case "Conv" -> 0;
                case "Gemm" -> n.attrInt("transB", 0) != 0 ? 0 : 1;
                case "MatMul" -> g.initializer(n.input(1)).rank() == 2 ? 1 : -1;
                default -> -1;
            };
            if (axis >= 0 && (!n.opType().equals("Gemm") || n.attrInt("transA", 0) == 0)) m.put(n, axis);
        }
        return m;
    }

    /** Encodes every weight with {@code encoder(weight, outAxis)} and rewires the graph; returns the layers. */
    public static List<Layer> apply(Model m, Set<String> exclude, BiFunction<Tensor, Integer, EncodedWeight> encoder) {
        Graph g = m.graph();
        List<Layer> layers = new ArrayList<>();
        Map<String, String> done = new LinkedHashMap<>();
        for (Map.Entry<Node, Integer> e : weightOps(g, exclude).entrySet()) {
            Node n = e.getKey();
            String w = n.input(1);
            if (done.containsKey(w)) {
                n.inputs().set(1, done.get(w));
                continue;
            }
            Tensor original = g.initializer(w);
            EncodedWeight enc = encoder.apply(original, e.getValue());
            if (enc.values().length != original.size()) throw new NnzipException(n.describe() + ": encoder changed the weight's size");
            String out = enc.emitter().emit(g, w);
            done.put(w, out);
            n.inputs().set(1, out);
            layers.add(new Layer(n, w, original, enc));
        }
        g.removeUnusedInitializers();
        io.nnzip.ir.TopoSort.sort(g);
        return layers;
    }

    /** A float copy of {@code m} whose weights are the encoded values (what the quantized model computes). */
    public static Model simulate(Model m, List<Layer> layers) {
        Model s = m.copy();
        for (Layer l : layers) s.graph().initializers().put(l.weight(), Tensor.of(l.encoded().values(), l.original().shape()));
        return s;
    }
}
