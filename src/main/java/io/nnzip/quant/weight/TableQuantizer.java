package io.nnzip.quant.weight;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.ChannelQuantizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Large float tables that no linear layer reads — learned position embeddings, class tokens, token embeddings read
 * by Gather or Slice — as int8 with one scale per feature (per row for a Gather's table) behind a DequantizeLinear that
 * produces the table under its old name, so its readers are untouched. Once the linear layers are 4-bit, a
 * ViT's position table is the largest float tensor left (a tenth of a 64-wide ViT's int4 file); int8 costs it
 * 1/254 of each feature's range, far below the 4-bit weights' error.
 */
public final class TableQuantizer {
    /** Tables below this many values stay float: their scales and the node would cost about what int8 saves. */
    public static final int MIN_VALUES = 1024;
    private static final Set<String> READERS = Set.of("Add", "Sub", "Concat", "Expand", "Gather", "Slice");

    /** One quantized table: its name, shape, the axis of its scales, and bytes before and after. */
    public record Table(String name, int[] shape, int axis, long floatBytes, long bytes) {}

    private TableQuantizer() {}

    /** Quantizes every qualifying table of {@code m} in place; returns them. */
    public static List<Table> apply(Model m) {
        return apply(m, MIN_VALUES);
    }

    /** As {@link #apply(Model)}, for tables of at least {@code minValues} values. */
    public static List<Table> apply(Model m, int minValues) {
        Graph g = m.graph();
        Map<String, List<Node>> readers = g.consumers();
        Set<String> ends = new java.util.HashSet<>();
        g.inputs().forEach(v -> ends.add(v.name()));
        g.outputs().forEach(v -> ends.add(v.name()));
        List<Table> out = new ArrayList<>();
        for (String name : new ArrayList<>(g.initializers().keySet())) {
            Tensor t = g.initializer(name);
            List<Node> rs = readers.getOrDefault(name, List.of());
            if (t.dtype() != DType.FLOAT || t.size() < minValues || t.rank() < 2 || ends.contains(name) || rs.isEmpty()) continue;
            Integer axis = axis(t, name, rs);
            if (axis == null || !finite(t)) continue;
            // per-axis DequantizeLinear exists from opset 13; before that one scale for the whole table
            boolean perAxis = m.opset() >= 13;
            ChannelQuantizer.Result q = ChannelQuantizer.quantize(t, axis, perAxis, DType.INT8);
            float[] scale = q.params().scale();
            g.initializers().remove(name);
            String qi = Containers.init(g, name + "_q", q.q());
            String si = Containers.init(g, name + "_scale", perAxis ? Tensor.of(scale.clone(), scale.length) : Tensor.scalar(scale[0]));
            String zi = Containers.init(g, name + "_zero", perAxis ? Tensor.zeros(DType.INT8, scale.length) : Tensor.zeros(DType.INT8));
            Node dq = new Node(g.freshName(name + "_DequantizeLinear"), "DequantizeLinear", new ArrayList<>(List.of(qi, si, zi)), List.of(name));
            if (perAxis) dq.set(Attribute.of("axis", (long) axis));
            g.nodes().add(dq);
            out.add(new Table(name, t.shape(), perAxis ? axis : -1, 4L * t.size(), t.size() + 5L * scale.length));
        }
        if (!out.isEmpty()) io.nnzip.ir.TopoSort.sort(g);
        return out;
    }

    /** The axis scales run along, or null when a reader is not one a table feeds (e.g. a linear layer, a LayerNorm). */
    private static Integer axis(Tensor t, String name, List<Node> readers) {
        Integer axis = t.rank() - 1;
        for (Node r : readers) {
            if (!READERS.contains(r.opType())) return null;
            boolean dataOnly = r.opType().equals("Gather") || r.opType().equals("Slice");
            // a Gather's indices and a Slice's bounds must stay integers
            if (dataOnly && (!r.input(0).equals(name) || r.inputs().subList(1, r.inputs().size()).contains(name))) return null;
            if (r.opType().equals("Gather")) {
                // as a Gather's table, one scale per gathered row (an embedding's rows differ in norm)
                long a = r.attrInt("axis", 0);
                axis = (int) (a < 0 ? a + t.rank() : a);
            }
        }
        return axis;
    }

    /** Masks with −∞ have no int8 scale. */
    private static boolean finite(Tensor t) {
        for (float v : t.toFloats()) if (!Float.isFinite(v)) return false;
        return true;
    }
}
