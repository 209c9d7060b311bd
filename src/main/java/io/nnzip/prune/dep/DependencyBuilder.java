package io.nnzip.prune.dep;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.prune.dep.ChannelGraph.Entity;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds {@link Dependencies}: one coupling rule per op kind. A rule either states exactly how the channels of
 * its inputs, outputs and weights correspond, or blocks them; an op without a rule blocks everything it touches,
 * so an unfamiliar graph is pruned less, never broken. Values are "tracked" when they are activations of rank ≥ 2
 * (their axis 1 is the channel axis); shape arithmetic (rank ≤ 1) is not.
 */
final class DependencyBuilder {
    static final Set<String> PASSTHROUGH = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu",
            "Celu", "Softplus", "Softsign", "Gelu", "Mish", "Identity", "Abs", "Neg", "Exp", "Sqrt", "Reciprocal", "Floor", "Ceil",
            "Round", "Erf", "Sin", "Cos", "Log", "Clip", "Dropout", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool",
            "GlobalMaxPool", "GlobalLpPool", "Cast", "Sign", "ThresholdedRelu", "Shrink");
    static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "PRelu", "Pow");
    static final Set<String> REDUCE = Set.of("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
            "ReduceLogSumExp", "ReduceSumSquare");

    final Graph g;
    final int opset;
    final Map<String, int[]> shapes;
    final ChannelGraph cg = new ChannelGraph();
    final Map<String, Node> producers;
    final Map<String, List<Node>> consumers;
    /** Initializer uses (node identity, input index) that a rule accounted for. */
    private final Set<String> handledUses = new HashSet<>();
    final Set<Node> handledNodes = new HashSet<>();
    final Dependencies deps;

    private DependencyBuilder(Model m, Map<String, int[]> shapes) {
        this.g = m.graph();
        this.opset = m.opset();
        this.shapes = shapes;
        this.producers = g.producers();
        this.consumers = g.consumers();
        this.deps = new Dependencies(m, cg, shapes);
    }

    static Dependencies build(Model m) {
        ShapeConstants.hoistConstants(m.graph());
        DependencyBuilder b = new DependencyBuilder(m, ValueProbe.shapes(m, 1));
        b.run();
        return b.deps;
    }

    private void run() {
        for (ValueInfo v : g.inputs()) if (tracked(v.name())) cg.block(ent(v.name()), "graph input");
        for (ValueInfo v : g.outputs()) if (tracked(v.name())) cg.block(ent(v.name()), "graph output (output shapes must not change)");
        new TransformerRules(this).run();
        ReshapeRules reshapes = new ReshapeRules(this);
        for (Node n : g.nodes()) {
            if (handledNodes.contains(n)) continue;
            try {
                if (!rule(n, reshapes)) blockNode(n, n.opType() + " has no channel rule");
            } catch (RuntimeException e) {
                blockNode(n, n.describe() + ": " + e.getMessage());
            }
        }
        // a weight read anywhere no rule accounted for (another op, a graph output) must keep its shape
        for (Entity e : List.copyOf(cg.entities())) {
            if (e.kind() != ChannelGraph.Kind.TENSOR) continue;
            for (Node n : consumers.getOrDefault(e.name(), List.of()))
                for (int i = 0; i < n.inputs().size(); i++)
                    if (n.input(i).equals(e.name()) && !handledUses.contains(useKey(n, i)))
                        cg.block(e, "weight '" + e.name() + "' is also read by " + n.describe());
            if (g.outputNames().contains(e.name())) cg.block(e, "weight '" + e.name() + "' is a graph output");
        }
    }

    /** Applies the op's coupling rule; false when there is none. */
    private boolean rule(Node n, ReshapeRules reshapes) {
        String op = n.opType();
        if (!anyTracked(n)) return true;
        if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) return false;
        switch (op) {
            case "Conv" -> conv(n);
            case "Gemm" -> gemm(n);
            case "MatMul" -> matmul(n);
            case "BatchNormalization", "InstanceNormalization" -> norm(n);
            case "Concat" -> concat(n);
            case "Split" -> split(n);
            case "Flatten" -> flatten(n);
            case "Reshape" -> reshapes.reshape(n);
            case "Transpose" -> transpose(n);
            case "Shape" -> shape(n);
            case "Pad" -> pad(n);
            case "Expand" -> expand(n);
            case "Softmax", "LogSoftmax" -> softmax(n);
            default -> {
                if (PASSTHROUGH.contains(op)) passthrough(n);
                else if (ELEMENTWISE.contains(op)) elementwise(n);
                else if (REDUCE.contains(op)) reduce(n);
                else return false;
            }
        }
        return true;
    }

    // ---- helpers

    boolean tracked(String v) {
        int[] s = shapes.get(v);
        return !v.isEmpty() && s != null && s.length >= 2 && !g.isInitializer(v);
    }

    boolean anyTracked(Node n) {
        for (String s : n.inputs()) if (tracked(s)) return true;
        for (String s : n.outputs()) if (tracked(s)) return true;
        return false;
    }

    Entity ent(String v) { return cg.value(v, shapes.get(v)[1]); }

    int[] shape(String v) { return shapes.get(v); }

    /** The entity of axis {@code axis} of the initializer at input {@code i}, marking that use as handled. */
    Entity weight(Node n, int i, int axis) {
        Tensor t = g.initializer(n.input(i));
        handledUses.add(useKey(n, i));
        return cg.tensor(n.input(i), axis, t.dim(axis));
    }

    void handled(Node n, int i) { handledUses.add(useKey(n, i)); }

    boolean isWeight(Node n, int i) { return n.hasInput(i) && g.isInitializer(n.input(i)); }

    private static String useKey(Node n, int i) { return System.identityHashCode(n) + ":" + i; }

    void blockNode(Node n, String reason) {
        for (String s : n.inputs()) if (tracked(s)) cg.block(ent(s), reason);
        for (String s : n.outputs()) if (tracked(s)) cg.block(ent(s), reason);
        for (int i = 0; i < n.inputs().size(); i++) {
            if (!isWeight(n, i)) continue;
            Tensor t = g.initializer(n.input(i));
            for (int a = 0; a < t.rank(); a++) cg.block(cg.tensor(n.input(i), a, t.dim(a)), reason);
            handled(n, i);
        }
    }

    // ---- rules

    // x: (N,C,H,W), w: (K,C/g,R,S), b: (K) -> y: (N,K,P,Q)
    private void conv(Node n) {
        if (!isWeight(n, 1) || (n.hasInput(2) && !isWeight(n, 2))) {
            blockNode(n, n.describe() + ": weights are not constants");
            return;
        }
        Entity x = ent(n.input(0)), y = ent(n.output(0));
        Tensor w = g.initializer(n.input(1));
        long group = n.attrInt("group", 1);
        Entity wOut = weight(n, 1, 0);
        deps.filterAxes.add(wOut.key());
        cg.unionAll(wOut, y);
        if (n.hasInput(2)) cg.unionAll(weight(n, 2, 0), y);
        if (group == 1) {
            cg.unionAll(x, weight(n, 1, 1));
        } else if (group == x.size() && w.dim(0) == x.size() && w.dim(1) == 1) {
            cg.unionAll(x, y);
            deps.depthwise.add(n);
        } else {
            blockNode(n, n.describe() + ": grouped convolution (group " + group + " of " + x.size() + " channels) keeps its channels");
        }
    }

    // A: (M,K), B: (K,N) or (N,K) when transB, C: broadcast to (M,N) -> Y: (M,N)
    private void gemm(Node n) {
        if (n.attrInt("transA", 0) != 0 || !isWeight(n, 1) || !tracked(n.input(0))) {
            blockNode(n, n.describe() + ": only x·W with a constant W is pruned");
            return;
        }
        boolean transB = n.attrInt("transB", 0) != 0;
        Entity a = ent(n.input(0)), y = ent(n.output(0));
        cg.unionAll(a, weight(n, 1, transB ? 1 : 0));
        Entity wOut = weight(n, 1, transB ? 0 : 1);
        deps.filterAxes.add(wOut.key());
        cg.unionAll(y, wOut);
        if (n.hasInput(2)) bias(n, 2, y);
    }

    /** A constant added along the channel axis of {@code y}: right-aligned broadcasting, as ONNX does. */
    private void bias(Node n, int i, Entity y) {
        if (!isWeight(n, i)) {
            if (tracked(n.input(i)) && shape(n.input(i))[1] == y.size()) cg.unionAll(ent(n.input(i)), y);
            else if (tracked(n.input(i))) cg.block(y, n.describe() + ": broadcast input");
            return;
        }
        Tensor t = g.initializer(n.input(i));
        int rank = shape(n.output(0)).length;
        int axis = 1 - (rank - t.rank());
        if (axis >= 0 && t.dim(axis) == y.size() && y.size() > 1) cg.unionAll(weight(n, i, axis), y);
        else if (axis >= 0 && t.dim(axis) != 1 && t.dim(axis) != y.size()) cg.block(y, n.describe() + ": constant does not broadcast on channels");
        else handled(n, i);
    }

    // A: (M,K) activations, B: (K,N) constant -> Y: (M,N)
    private void matmul(Node n) {
        if (!isWeight(n, 1) || shape(n.input(0)).length != 2 || g.initializer(n.input(1)).rank() != 2) {
            blockNode(n, n.describe() + ": only 2-D x·W with a constant W is pruned");
            return;
        }
        cg.unionAll(ent(n.input(0)), weight(n, 1, 0));
        Entity wOut = weight(n, 1, 1);
        deps.filterAxes.add(wOut.key());
        cg.unionAll(ent(n.output(0)), wOut);
    }

    // x: (N,C,...), scale/bias/mean/var: (C) -> y: (N,C,...)
    private void norm(Node n) {
        for (int i = 1; i < n.outputs().size(); i++)
            if (!n.output(i).isEmpty()) {
                blockNode(n, n.describe() + ": training-mode outputs");
                return;
            }
        Entity x = ent(n.input(0)), y = ent(n.output(0));
        cg.unionAll(x, y);
        for (int i = 1; i < n.inputs().size(); i++) {
            if (!n.hasInput(i)) continue;
            if (!isWeight(n, i)) {
                blockNode(n, n.describe() + ": statistics are not constants");
                return;
            }
            Entity p = weight(n, i, 0);
            if (i == 1 && n.opType().equals("BatchNormalization")) deps.bnScales.add(p.key());
            cg.unionAll(p, y);
        }
    }

    private void passthrough(Node n) {
        for (int i = 1; i < n.outputs().size(); i++)
            if (!n.output(i).isEmpty() && !consumers.getOrDefault(n.output(i), List.of()).isEmpty()) {
                blockNode(n, n.describe() + ": second output is used");
                return;
            }
        for (int i = 1; i < n.inputs().size(); i++) if (isWeight(n, i)) handled(n, i);
        cg.unionAll(ent(n.input(0)), ent(n.output(0)));
    }

    private void elementwise(Node n) {
        Entity y = ent(n.output(0));
        int rank = shape(n.output(0)).length;
        for (int i = 0; i < n.inputs().size(); i++) {
            String in = n.input(i);
            if (in.isEmpty()) continue;
            if (isWeight(n, i)) {
                bias(n, i, y);
            } else if (tracked(in)) {
                int[] s = shape(in);
                if (s.length == rank && s[1] == y.size()) cg.unionAll(ent(in), y);
                else if (s.length == rank && s[1] == 1 && y.size() > 1) cg.block(ent(in), n.describe() + ": broadcast over channels");
                else {
                    blockNode(n, n.describe() + ": inputs of different rank");
                    return;
                }
            } else if (shape(in) != null && shape(in).length >= rank - 1 && shape(in).length > 0) {
                int axis = 1 - (rank - shape(in).length);
                if (axis >= 0 && shape(in)[axis] != 1) {
                    blockNode(n, n.describe() + ": non-constant operand on the channel axis");
                    return;
                }
            }
        }
    }

    private void concat(Node n) {
        Entity y = ent(n.output(0));
        int rank = shape(n.output(0)).length;
        int axis = (int) n.attrInt("axis", 1);
        if (axis < 0) axis += rank;
        int off = 0;
        for (String in : n.inputs()) {
            if (!tracked(in)) {
                blockNode(n, n.describe() + ": constant operand");
                return;
            }
            Entity x = ent(in);
            if (axis == 1) {
                cg.unionRange(x, 0, y, off, x.size());
                off += x.size();
            } else cg.unionAll(x, y);
        }
    }

    private void split(Node n) {
        Entity x = ent(n.input(0));
        int rank = shape(n.input(0)).length;
        int axis = (int) n.attrInt("axis", 0);
        if (axis < 0) axis += rank;
        if (axis != 1) {
            for (String o : n.outputs()) if (tracked(o)) cg.unionAll(x, ent(o));
            if (isWeight(n, 1)) handled(n, 1);
            return;
        }
        if (n.hasInput(1) && !isWeight(n, 1)) {
            blockNode(n, n.describe() + ": split sizes computed at run time");
            return;
        }
        if (n.hasInput(1)) handled(n, 1);
        int off = 0;
        for (String o : n.outputs()) {
            if (o.isEmpty()) continue;
            Entity y = ent(o);
            cg.unionRange(x, off, y, 0, y.size());
            off += y.size();
        }
        deps.channelSplits.add(n);
    }

    private void flatten(Node n) {
        int[] s = shape(n.input(0));
        int axis = (int) n.attrInt("axis", 1);
        if (axis < 0) axis += s.length;
        if (axis != 1) {
            blockNode(n, n.describe() + ": flattens across the channel axis at axis " + axis);
            return;
        }
        blockMap(ent(n.input(0)), ent(n.output(0)));
    }

    /** Channel c of x becomes features [c·block, (c+1)·block) of y (Flatten into a Gemm). */
    void blockMap(Entity x, Entity y) {
        int block = y.size() / x.size();
        if (block * x.size() != y.size()) throw new IllegalStateException("features " + y.size() + " are not a multiple of channels " + x.size());
        for (int c = 0; c < x.size(); c++) for (int s = 0; s < block; s++) cg.union(x, c, y, c * block + s);
    }

    private void transpose(Node n) {
        long[] perm = n.attrInts("perm", null);
        if (perm != null && perm.length >= 2 && perm[0] == 0 && perm[1] == 1) cg.unionAll(ent(n.input(0)), ent(n.output(0)));
        else blockNode(n, n.describe() + ": moves the channel axis");
    }

    /** Shape of an activation is harmless while only its batch or spatial entries are read. */
    private void shape(Node n) {
        long start = n.attrInt("start", 0);
        for (Node c : consumers.getOrDefault(n.output(0), List.of())) {
            boolean ok = c.opType().equals("Gather") && c.attrInt("axis", 0) == 0 && isWeight(c, 1)
                    && java.util.Arrays.stream(g.initializer(c.input(1)).toLongs()).allMatch(i -> i + start != 1 && i + start >= 0);
            if (!ok) {
                cg.block(ent(n.input(0)), n.describe() + ": channel count read by " + c.describe());
                return;
            }
        }
    }

    /**
     * Expand that repeats only other axes (nearest upsampling written as Reshape → Expand → Reshape): a constant
     * target shape of the output's rank whose channel entry is 1, so channel i of the output is channel i of the input.
     */
    private void expand(Node n) {
        int[] xs = shape(n.input(0)), ys = shape(n.output(0));
        long[] to = isWeight(n, 1) ? g.initializer(n.input(1)).toLongs() : null;
        if (to == null || xs == null || ys == null || xs.length != ys.length || to.length != ys.length || to[1] != 1 || xs[1] != ys[1]) {
            blockNode(n, n.describe() + ": expands the channel axis or has a shape computed at run time");
            return;
        }
        handled(n, 1);
        cg.unionAll(ent(n.input(0)), ent(n.output(0)));
    }

    private void pad(Node n) {
        long[] pads = n.attrInts("pads", null);
        if (pads == null && isWeight(n, 1)) {
            pads = g.initializer(n.input(1)).toLongs();
            handled(n, 1);
        }
        for (int i = 2; i < n.inputs().size(); i++) if (isWeight(n, i)) handled(n, i);
        int rank = shape(n.input(0)).length;
        if (pads == null || pads.length != 2 * rank || pads[1] != 0 || pads[1 + rank] != 0 || n.hasInput(3)) {
            blockNode(n, n.describe() + ": pads the channel axis");
            return;
        }
        cg.unionAll(ent(n.input(0)), ent(n.output(0)));
    }

    private void softmax(Node n) {
        int rank = shape(n.input(0)).length;
        int axis = (int) n.attrInt("axis", opset >= 13 ? -1 : 1);
        if (axis < 0) axis += rank;
        if (axis == 1 || (opset < 13 && axis <= 1)) blockNode(n, n.describe() + ": normalizes over channels");
        else cg.unionAll(ent(n.input(0)), ent(n.output(0)));
    }

    private void reduce(Node n) {
        long[] axes = n.attrInts("axes", null);
        if (axes == null && isWeight(n, 1)) {
            axes = g.initializer(n.input(1)).toLongs();
            handled(n, 1);
        }
        int rank = shape(n.input(0)).length;
        boolean keep = n.attrInt("keepdims", 1) != 0;
        boolean ok = axes != null && axes.length > 0;
        for (long a : axes == null ? new long[0] : axes) {
            long ax = a < 0 ? a + rank : a;
            if (ax == 1 || (ax == 0 && !keep)) ok = false;
        }
        if (ok && tracked(n.output(0))) cg.unionAll(ent(n.input(0)), ent(n.output(0)));
        else blockNode(n, n.describe() + ": reduces over the channel axis");
    }
}
