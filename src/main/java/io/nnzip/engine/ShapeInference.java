package io.nnzip.engine;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.ir.UnsupportedOpException;
import io.nnzip.ir.ValueInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Static shape and type inference over a graph, with constant folding of small all-constant nodes so that
 * exporter shape subgraphs resolve. Symbolic input dims (a batch size) are bound to one chosen value.
 */
public final class ShapeInference {
    /** Nodes whose constant inputs hold at most this many elements in total are folded by running them. */
    static final int FOLD_LIMIT = 1 << 16;

    private ShapeInference() {}

    public static Map<String, ValueType> infer(Model m) { return infer(m.graph(), m.opset(), 1, Map.of()); }

    /**
     * @param symbolicDim value given to every unknown or symbolic input dim
     * @param inputShapes concrete shapes that override the declared ones, by input name
     */
    public static Map<String, ValueType> infer(Graph g, int opset, int symbolicDim, Map<String, int[]> inputShapes) {
        Map<String, ValueType> types = new HashMap<>();
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) types.put(e.getKey(), ValueType.constant(e.getValue()));
        for (ValueInfo v : g.runtimeInputs()) {
            int[] s = inputShapes.containsKey(v.name()) ? inputShapes.get(v.name()) : v.concreteShape(symbolicDim);
            types.put(v.name(), new ValueType(v.dtype(), s, null));
        }
        ExecContext folding = new ExecContext(new Parallel(1), opset);
        for (Node n : TopoSort.order(g.nodes())) {
            ValueType[] in = new ValueType[n.inputs().size()];
            boolean allConst = true;
            long constSize = 0;
            for (int i = 0; i < in.length; i++) {
                String name = n.input(i);
                if (name.isEmpty()) continue;
                in[i] = types.get(name);
                if (in[i] == null) throw new NnzipException(n.describe() + ": input '" + name + "' is not defined before use");
                if (!in[i].isConstant()) allConst = false;
                else constSize += in[i].constant().size();
            }
            OpDef def = OpRegistry.get(n);
            ValueType[] out;
            try {
                if (allConst && constSize <= FOLD_LIMIT && !n.opType().equals("RandomNormal") && !n.opType().startsWith("Random")) {
                    Tensor[] vals = new Tensor[in.length];
                    for (int i = 0; i < in.length; i++) vals[i] = in[i] == null ? null : in[i].constant();
                    Tensor[] r = def.kernel().run(n, vals, folding);
                    out = new ValueType[r.length];
                    for (int i = 0; i < r.length; i++) out[i] = r[i] == null ? null : ValueType.constant(r[i]);
                } else {
                    out = def.shape().infer(n, in, opset);
                }
            } catch (UnsupportedOpException e) {
                throw e;
            } catch (NnzipException e) {
                throw new NnzipException(n.describe() + ": " + stripPrefix(e.getMessage(), n), e);
            } catch (RuntimeException e) {
                throw new NnzipException(n.describe() + ": shape inference failed: " + e, e);
            }
            List<String> outs = n.outputs();
            for (int i = 0; i < outs.size() && i < out.length; i++) if (!outs.get(i).isEmpty() && out[i] != null) types.put(outs.get(i), out[i]);
        }
        return types;
    }

    private static String stripPrefix(String msg, Node n) {
        String p = n.describe() + ": ";
        return msg != null && msg.startsWith(p) ? msg.substring(p.length()) : msg;
    }
}
