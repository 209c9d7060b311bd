package io.nnzip.prune.dep;

import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.dep.ChannelGraph.Entity;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Attention heads of {@code nn.MultiheadAttention} as PyTorch exports it (torchvision's VisionTransformer,
 * {@code nn.TransformerEncoderLayer}): the heads live in the batch axis instead of an axis of their own.
 * <pre>
 *   x: (T,B,D) → in_proj x·W (D,3F) + b → Split(axis -1) → q, k, v: (T,B,F)
 *   each: Reshape (T, B·H, d) → Transpose … MatMul/Softmax/MatMul over the batch axis B·H … → o: (B·H,T,d)
 *   o → Transpose (T,B·H,d) → merge Reshape (T·B, F) or (T,B,F) → out_proj (Gemm or MatMul)
 * </pre>
 * with F = H·d and the entry B·H of each split Reshape built at run time as {@code Mul(batch, H)}. One head is one
 * component: its d columns in each of q, k and v of W and b, and its d input rows (columns, transB) of out_proj.
 * The edits: H in that Mul, the Split sizes, and the merge's width F. The core between split and merge is walked
 * with the position of the B·H axis: a MatMul must have it as its batch axis on both sides, Softmax must not
 * normalize over it, anything else (other ops, values leaking out) and the block is left to the per-op rules.
 */
final class BatchHeadsAttention {
    private static final Set<String> SCALAR_OPS = Set.of("Mul", "Div", "Add", "Sub");
    private static final Set<String> UNARY_OPS = Set.of("Cast", "Identity", "Dropout");
    private static final int MAX_CORE = 64;

    private final DependencyBuilder b;
    private final TransformerRules t;

    BatchHeadsAttention(DependencyBuilder b, TransformerRules t) {
        this.b = b;
        this.t = t;
    }

    void run() {
        for (Node n : b.g.nodes())
            if (n.opType().equals("Split") && !b.handledNodes.contains(n)) match(n);
    }

    private void match(Node split) {
        int[] xs = b.shape(split.input(0));
        if (xs == null || xs.length != 3 || split.outputs().size() != 3) return;
        long axis = split.attrInt("axis", 0);
        if (axis != -1 && axis != 2) return;
        TransformerRules.Linear in = t.producingLinear(split.input(0));
        if (in == null || b.consumers.getOrDefault(in.out(), List.of()).size() != 1) return;
        int f = xs[2] / 3;
        if (f * 3 != xs[2] || (split.hasInput(1) && !b.isWeight(split, 1))) return;
        List<Node> reshapes = new ArrayList<>();
        int heads = -1, dh = -1;
        for (String o : split.outputs()) {
            int[] s = b.shape(o);
            List<Node> cs = b.consumers.getOrDefault(o, List.of());
            if (s == null || s[2] != f || cs.size() != 1 || !cs.get(0).opType().equals("Reshape")) return;
            Node r = cs.get(0);
            int[] rs = b.shape(r.output(0));
            // probed at batch 1: (T, 1·H, d)
            if (rs == null || rs.length != 3 || rs[0] != s[0] || s[1] != 1 || rs[1] * rs[2] != f) return;
            if (heads != -1 && (rs[1] != heads || rs[2] != dh)) return;
            heads = rs[1];
            dh = rs[2];
            reshapes.add(r);
        }
        if (heads < 2) return;
        List<ShapeConstants.Loc> headCounts = new ArrayList<>();
        Set<String> shapes = new java.util.HashSet<>();
        for (Node r : reshapes) shapes.add(r.input(1));
        for (Node r : reshapes) {
            ShapeConstants.Loc loc = headCount(r, heads, shapes);
            if (loc == null) return;
            if (headCounts.stream().noneMatch(l -> l.init().equals(loc.init()))) headCounts.add(loc);
        }
        // walk the core with the position of the B·H axis of every value
        Map<String, Integer> pos = new HashMap<>();
        Set<Node> core = new LinkedHashSet<>();
        Deque<String> pending = new ArrayDeque<>();
        for (Node r : reshapes) {
            pos.put(r.output(0), 1);
            pending.add(r.output(0));
        }
        Node merge = null;
        while (!pending.isEmpty()) {
            String v = pending.pop();
            for (Node c : b.consumers.getOrDefault(v, List.of())) {
                if (core.contains(c) || c == merge) continue;
                if (b.g.outputNames().contains(v)) return;
                if (c.opType().equals("Reshape") && c.input(0).equals(v)) {
                    if (merge != null || !isMerge(c, pos.get(v), f)) return;
                    merge = c;
                    continue;
                }
                Integer p = coreOutputPos(c, pos);
                if (p == null) continue; // waits for its other core operand
                if (p < 0 || core.size() >= MAX_CORE) return;
                core.add(c);
                pos.put(c.output(0), p);
                pending.add(c.output(0));
            }
        }
        if (merge == null) return;
        for (String v : pos.keySet()) {
            if (b.g.outputNames().contains(v)) return;
            for (Node c : b.consumers.getOrDefault(v, List.of())) if (!core.contains(c) && c != merge) return; // a head-shaped value leaks
        }
        for (Node c : core) for (String v : c.inputs()) if (!v.isEmpty() && !pos.containsKey(v) && !broadcastsOverHeads(v, c, pos)) return;
        Node proj = b.consumers.getOrDefault(merge.output(0), List.of()).size() == 1 ? b.consumers.get(merge.output(0)).get(0) : null;
        int[] ms = b.shape(merge.output(0));
        Entity merged = b.cg.value(merge.output(0), ms.length - 1, f);
        Entity rows = projRows(proj, merge.output(0), ms.length);
        if (rows == null) return;
        List<Dependencies.ShapeEdit> edits = new ArrayList<>();
        ShapeConstants.Loc width = widthEntry(merge, ms.length - 1);
        if (width == null) return;
        if (width.index() >= 0) edits.add(new Dependencies.ShapeEdit(merge.output(0), width, merge.output(0), 1));
        for (ShapeConstants.Loc l : headCounts) edits.add(new Dependencies.ShapeEdit(reshapes.get(0).output(0), l, split.output(0), dh));
        b.deps.shapeEdits.addAll(edits);

        // couple: in_proj columns = its output's features = the three split parts; a head's d entries of q, k, v and its rows of out_proj
        Entity cols = b.weight(in.matmul(), 1, 1);
        b.deps.filterAxes.add(cols.key());
        Entity out = b.cg.value(in.out(), 2, 3 * f);
        b.cg.unionAll(cols, out);
        if (in.bias() != null) b.cg.unionAll(b.weight(in.bias(), in.biasInput(), 0), out);
        for (int part = 0; part < 3; part++) b.cg.unionRange(out, part * f, b.cg.value(split.output(part), 2, f), 0, f);
        b.cg.unionAll(rows, merged);
        for (int part = 0; part < 3; part++)
            for (int h = 0; h < heads; h++) for (int j = 0; j < dh; j++) b.cg.union(cols, part * f + h * dh + j, rows, h * dh);
        for (int h = 0; h < heads; h++) for (int j = 1; j < dh; j++) b.cg.union(rows, h * dh + j, rows, h * dh);
        if (split.hasInput(1)) b.handled(split, 1);
        b.deps.channelSplits.add(split);
        t.handleLinear(in);
        b.handledNodes.add(split);
        b.handledNodes.addAll(reshapes);
        b.handledNodes.addAll(core);
        b.handledNodes.add(merge);
        for (Node c : core) for (int i = 0; i < c.inputs().size(); i++) if (b.isWeight(c, i)) b.handled(c, i);
    }

    /**
     * Where H of the split Reshape's entry B·H = Mul(batch, H) is stored, or null; B·H may only reach the shapes of
     * this block's split Reshapes ({@code shapes}), since H changes for all of them.
     */
    private ShapeConstants.Loc headCount(Node r, int heads, Set<String> shapes) {
        Node concat = b.producers.get(r.input(1));
        if (concat == null || !concat.opType().equals("Concat") || concat.attrInt("axis", 0) != 0 || concat.inputs().size() != 3) return null;
        for (String piece : concat.inputs()) if (b.shape(piece) == null || b.shape(piece).length != 1 || b.shape(piece)[0] != 1) return null;
        Node uns = b.producers.get(concat.input(1));
        if (uns == null || !uns.opType().equals("Unsqueeze")) return null;
        Node mul = b.producers.get(uns.input(0));
        if (mul == null || !mul.opType().equals("Mul")) return null;
        for (Node u : b.consumers.getOrDefault(mul.output(0), List.of())) {
            if (!u.opType().equals("Unsqueeze")) return null;
            for (Node c : b.consumers.getOrDefault(u.output(0), List.of())) if (!shapes.contains(c.output(0))) return null;
        }
        for (int i = 0; i < 2; i++) {
            Tensor c = b.g.initializer(mul.input(i));
            if (c == null || c.size() != 1 || b.g.initializer(mul.input(1 - i)) != null) continue;
            if (c.dtype() != io.nnzip.ir.DType.INT64 || c.getLong(0) != heads) return null;
            if (b.consumers.getOrDefault(mul.input(i), List.of()).size() != 1) return null;
            return new ShapeConstants.Loc(mul.input(i), 0, true);
        }
        return null;
    }

    /** The merge: Transpose'd (T, B·H, d) → (T·B, F) or (T, B, F). */
    private boolean isMerge(Node r, Integer p, int f) {
        int[] xs = b.shape(r.input(0)), ys = b.shape(r.output(0));
        if (p == null || p != 1 || xs == null || ys == null || xs.length != 3 || xs[1] * xs[2] != f) return false;
        return (ys.length == 2 && ys[0] == xs[0] && ys[1] == f) || (ys.length == 3 && ys[0] == xs[0] && ys[1] == 1 && ys[2] == f);
    }

    /** The merge's width entry (index -1: copied or inferred, nothing to edit), or null when it cannot be rewritten. */
    private ShapeConstants.Loc widthEntry(Node merge, int position) {
        ShapeConstants.Loc loc;
        try {
            loc = ShapeConstants.locate(b.g, b.producers, b.consumers, b.shapes, merge.input(1), position);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (loc == null) return null;
        long v = ShapeConstants.read(b.g, loc);
        if (v == -1 || v == 0) return new ShapeConstants.Loc(loc.init(), -1, false);
        return loc.exclusive() ? loc : null;
    }

    /** out_proj's input-feature axis coupled to the merged value, or null when the merge feeds anything else. */
    private Entity projRows(Node proj, String merged, int rank) {
        if (proj == null || !proj.input(0).equals(merged)) return null;
        if (rank == 2 && proj.opType().equals("Gemm") && proj.attrInt("transA", 0) == 0 && b.isWeight(proj, 1))
            return b.cg.tensor(proj.input(1), proj.attrInt("transB", 0) != 0 ? 1 : 0, b.g.initializer(proj.input(1)).dim(proj.attrInt("transB", 0) != 0 ? 1 : 0));
        if (rank == 2 && proj.opType().equals("MatMul") && b.isWeight(proj, 1) && b.g.initializer(proj.input(1)).rank() == 2)
            return b.cg.tensor(proj.input(1), 0, b.g.initializer(proj.input(1)).dim(0));
        if (rank == 3) {
            TransformerRules.Linear l = t.linear(proj);
            if (l == null) return null;
            Entity rows = b.weight(l.matmul(), 1, 0);
            t.handleLinear(l);
            if (l.bias() != null) b.handled(l.bias(), l.biasInput());
            return rows;
        }
        return null;
    }

    /**
     * Position of the B·H axis in {@code c}'s output: -1 when {@code c} could mix heads or is unknown, null while
     * one of its core operands is not reached yet.
     */
    private Integer coreOutputPos(Node c, Map<String, Integer> pos) {
        if (c.outputs().size() != 1) return -1;
        String x = c.input(0);
        int[] xs = b.shape(x);
        if (xs == null) return -1;
        if (UNARY_OPS.contains(c.opType())) return pos.getOrDefault(x, -1);
        switch (c.opType()) {
            case "Transpose" -> {
                long[] perm = c.attrInts("perm", null);
                Integer p = pos.get(x);
                if (perm == null || p == null) return -1;
                for (int i = 0; i < perm.length; i++) if (perm[i] == p) return i;
                return -1;
            }
            case "Softmax" -> {
                Integer p = pos.get(x);
                long axis = c.attrInt("axis", -1);
                if (axis < 0) axis += xs.length;
                return p == null || axis == p ? -1 : p;
            }
            case "MatMul" -> {
                Integer pa = pos.get(c.input(0)), pb = pos.get(c.input(1));
                if (pa == null && pb == null) return -1;
                if (pa == null || pb == null) return b.producers.containsKey(pa == null ? c.input(0) : c.input(1)) ? null : -1;
                return pa == 0 && pb == 0 && xs.length == 3 && b.shape(c.input(1)).length == 3 ? 0 : -1;
            }
            default -> {
                if (!SCALAR_OPS.contains(c.opType())) return -1;
                Integer p = null;
                for (String in : c.inputs()) if (pos.containsKey(in)) {
                    if (p != null && !p.equals(pos.get(in))) return -1;
                    p = pos.get(in);
                }
                return p == null ? -1 : p;
            }
        }
    }

    /** A non-core operand of a core node: a scalar constant, or a value without the head axis (a mask of lower rank). */
    private boolean broadcastsOverHeads(String in, Node c, Map<String, Integer> pos) {
        Tensor k = b.g.initializer(in);
        if (k != null) return k.size() == 1;
        int[] s = b.shape(in), ys = b.shape(c.output(0));
        Integer p = pos.get(c.output(0));
        return s != null && ys != null && p != null && s.length < ys.length - p && b.producers.containsKey(in) && !(c.opType().equals("MatMul"));
    }
}
