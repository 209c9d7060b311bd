package io.nnzip.arch;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds an anytime model: after each chosen value a classifier head (average pooling to a G×G grid — a plain
 * mean over H,W when G = 1 — then a linear layer) whose logits become an extra graph output. Outputs are ordered
 * exit_0, exit_1, …, then the original final output, so "first confident exit" is "first confident output".
 * <pre>v: (N,C,H,W) -> pooled: (N,C,G,G) -> flat: (N,C·G·G) -> exit_i: (N,classes)</pre>
 */
public final class ExitHeads {
    /** One head: where it attaches, the name of its pooled feature value, its weight names and its output. */
    public record Head(String after, String features, int featureSize, String weight, String bias, String output) {}

    private ExitHeads() {}

    /** Adds heads with zero weights (to be fitted); returns them in graph order. */
    public static List<Head> attach(Model m, List<String> afterValues, int classes, int grid) {
        Graph g = m.graph();
        Map<String, ValueType> types = ShapeInference.infer(g, m.opset(), 1, Map.of());
        List<Head> heads = new ArrayList<>();
        List<ValueInfo> exitOutputs = new ArrayList<>();
        for (int i = 0; i < afterValues.size(); i++) {
            String v = resolve(g, afterValues.get(i));
            ValueType t = types.get(v);
            if (t == null || !t.isConcrete()) throw new NnzipException("--exits: shape of '" + v + "' is unknown");
            int[] s = t.shape();
            String feat;
            int size;
            List<Node> added = new ArrayList<>();
            if (s.length == 4) {
                int h = s[2], w = s[3];
                String pooled = g.freshName("exit" + i + "_pool");
                if (grid <= 1 || h < grid || w < grid) {
                    added.add(node("exit" + i + "_pool", "GlobalAveragePool", List.of(v), pooled));
                    size = s[1];
                } else {
                    long kh = h / grid, kw = w / grid;
                    added.add(node("exit" + i + "_pool", "AveragePool", List.of(v), pooled, Attribute.of("kernel_shape", kh, kw),
                            Attribute.of("strides", kh, kw)));
                    size = s[1] * (int) ((h - kh) / kh + 1) * (int) ((w - kw) / kw + 1);
                }
                feat = g.freshName("exit" + i + "_features");
                added.add(node("exit" + i + "_flatten", "Flatten", List.of(pooled), feat, Attribute.of("axis", 1L)));
            } else if (s.length == 2) {
                feat = v;
                size = s[1];
            } else {
                throw new NnzipException("--exits: '" + v + "' has rank " + s.length + "; a head needs (N,C,H,W) or (N,D)");
            }
            String w = g.freshName("exit" + i + ".weight"), b = g.freshName("exit" + i + ".bias");
            g.initializers().put(w, Tensor.of(new float[classes * size], classes, size));
            g.initializers().put(b, Tensor.of(new float[classes], classes));
            String out = g.freshName("exit_" + i);
            added.add(node("exit" + i + "_fc", "Gemm", List.of(feat, w, b), out, Attribute.of("transB", 1L)));
            for (Node n : added) n.setName(g.freshName(n.name()));
            g.nodes().addAll(added);
            exitOutputs.add(new ValueInfo(out, DType.FLOAT, List.of(io.nnzip.ir.Dim.param("N"), io.nnzip.ir.Dim.of(classes))));
            heads.add(new Head(v, feat, size, w, b, out));
        }
        List<ValueInfo> outs = new ArrayList<>(exitOutputs);
        outs.addAll(g.outputs());
        g.outputs().clear();
        g.outputs().addAll(outs);
        io.nnzip.ir.TopoSort.sort(g);
        return heads;
    }

    /** An --exits entry names a value or a node (whose first output is then used). */
    static String resolve(Graph g, String name) {
        if (g.producers().containsKey(name)) return name;
        Node n = g.node(name);
        if (n != null) return n.output(0);
        throw new NnzipException("--exits: no value or node named '" + name + "'");
    }

    private static Node node(String name, String op, List<String> in, String out, Attribute... attrs) {
        Node n = new Node(name, op, in, List.of(out));
        for (Attribute a : attrs) n.set(a);
        return n;
    }
}
