package io.nnzip.prune.dep;

import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.dep.ChannelGraph.Entity;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Coupling rules for transformer blocks, whose features live on the last axis of (B,N,F) activations instead of
 * axis 1. Two structures are recognized as a whole, before the per-op rules run:
 * <ul>
 *   <li>multi-head attention: the linear layers feeding the head split (fused QKV reshaped to (B,N,3,H,d), or
 *   separate q/k/v reshaped to (B,N,H,d)), an attention core that treats the head axis as a batch axis, and the
 *   merge Reshape (B,N,H,d) → (B,N,H·d) into the output projection. One head is one component: its d columns in
 *   every Q/K/V weight and bias, and its d input rows of the projection. The split's head count and the merge's
 *   width are shape-constant edits.</li>
 *   <li>MLP: fc1 → element-wise activation → fc2. One hidden neuron is one component: fc1's output column and
 *   bias entry, fc2's input row.</li>
 * </ul>
 * The token axis of every value entering or leaving these blocks is pinned. A block that does not match exactly
 * is left to the per-op rules, which keep it whole: an unfamiliar graph is pruned less, never broken.
 */
final class TransformerRules {
    /** Ops an attention core may contain between the head split and the merge: none mixes heads. */
    private static final Set<String> CORE_OPS = Set.of("MatMul", "Transpose", "Softmax", "Mul", "Div", "Add", "Sub", "Where", "Split",
            "Squeeze", "Gather", "Cast", "Neg", "Max", "Min", "Identity", "Dropout");
    private static final int MAX_CORE = 64;

    /** x·W (+ bias): W stored (in, out); bias an initializer added after, at {@code biasInput} of {@code bias}. */
    record Linear(Node matmul, Node bias, int biasInput, String out, int features) {}

    /** A head-split Reshape: {@code parts} (3 for fused QKV, 1 otherwise) × heads × headDim features. */
    private record HeadSplit(Node reshape, Linear linear, int parts, int headAxis) {}

    private final DependencyBuilder b;

    TransformerRules(DependencyBuilder b) { this.b = b; }

    void run() {
        new BatchHeadsAttention(b, this).run();
        for (Node n : b.g.nodes())
            if (n.opType().equals("Reshape") && !b.handledNodes.contains(n)) attention(n);
        for (Node n : b.g.nodes())
            if (n.opType().equals("MatMul") && !b.handledNodes.contains(n)) mlp(n);
    }

    /** A linear layer at MatMul {@code mm} over a (…, N, K) activation, or null. */
    Linear linear(Node mm) {
        if (!mm.opType().equals("MatMul") || !b.isWeight(mm, 1) || b.isWeight(mm, 0)) return null;
        int[] xs = b.shape(mm.input(0));
        Tensor w = b.g.initializer(mm.input(1));
        if (xs == null || xs.length < 3 || w.rank() != 2 || b.g.outputNames().contains(mm.output(0))) return null;
        int f = w.dim(1);
        List<Node> cs = b.consumers.getOrDefault(mm.output(0), List.of());
        if (cs.size() == 1 && cs.get(0).opType().equals("Add") && cs.get(0).inputs().size() == 2) {
            Node add = cs.get(0);
            int bi = add.input(0).equals(mm.output(0)) ? 1 : 0;
            Tensor bias = b.g.initializer(add.input(bi));
            if (bias != null && bias.rank() == 1 && bias.dim(0) == f) return new Linear(mm, add, bi, add.output(0), f);
        }
        return new Linear(mm, null, -1, mm.output(0), f);
    }

    Linear producingLinear(String v) {
        Node p = b.producers.get(v);
        if (p == null) return null;
        if (p.opType().equals("MatMul")) {
            Linear l = linear(p);
            return l != null && l.bias() == null ? l : null;
        }
        if (!p.opType().equals("Add")) return null;
        for (String in : p.inputs()) {
            Node mm = b.producers.get(in);
            Linear l = mm == null ? null : linear(mm);
            if (l != null && l.bias() == p) return l;
        }
        return null;
    }

    // ---- attention

    private void attention(Node merge) {
        int[] xs = b.shape(merge.input(0)), ys = b.shape(merge.output(0));
        if (xs == null || ys == null || xs.length != 4 || ys.length != 3 || ys[2] != xs[2] * xs[3] || ys[0] != xs[0] || ys[1] != xs[1]) return;
        List<Node> cs = b.consumers.getOrDefault(merge.output(0), List.of());
        if (cs.size() != 1 || !cs.get(0).input(0).equals(merge.output(0))) return;
        Linear proj = linear(cs.get(0));
        if (proj == null) return;
        int heads = xs[2], dh = xs[3];
        Set<Node> core = new LinkedHashSet<>();
        List<HeadSplit> splits = new ArrayList<>();
        if (!walkCore(merge.input(0), heads, dh, core, splits) || splits.isEmpty() || !closed(core, splits, merge)) return;
        // every shape edit must be traceable before anything is coupled
        List<Dependencies.ShapeEdit> edits = new ArrayList<>();
        for (HeadSplit s : splits) if (!edit(s.reshape(), s.headAxis(), s.linear().out(), s.parts() * dh, edits)) return;
        if (!edit(merge, 2, merge.output(0), 1, edits)) return;
        b.deps.shapeEdits.addAll(edits);

        Entity rows = b.weight(proj.matmul(), 1, 0);
        Entity merged = b.cg.value(merge.output(0), 2, heads * dh);
        b.cg.unionAll(rows, merged);
        for (HeadSplit s : splits) {
            Linear l = s.linear();
            Entity cols = b.weight(l.matmul(), 1, 1);
            b.deps.filterAxes.add(cols.key());
            Entity out = b.cg.value(l.out(), 2, l.features());
            b.cg.unionAll(cols, out);
            if (l.bias() != null) b.cg.unionAll(b.weight(l.bias(), l.biasInput(), 0), out);
            for (int part = 0; part < s.parts(); part++)
                for (int h = 0; h < heads; h++)
                    for (int j = 0; j < dh; j++) b.cg.union(cols, (part * heads + h) * dh + j, rows, h * dh);
            handleLinear(l);
            b.handledNodes.add(s.reshape());
        }
        for (int h = 0; h < heads; h++) for (int j = 1; j < dh; j++) b.cg.union(rows, h * dh + j, rows, h * dh);
        b.handledNodes.addAll(core);
        b.handledNodes.add(merge);
        handleLinear(proj);
        if (proj.bias() != null) b.handled(proj.bias(), proj.biasInput());
    }

    /** Walks back from the merge to the head splits; false when something on the way could mix or count heads. */
    private boolean walkCore(String start, int heads, int dh, Set<Node> core, List<HeadSplit> splits) {
        Deque<String> pending = new ArrayDeque<>(List.of(start));
        Set<String> seen = new HashSet<>();
        while (!pending.isEmpty()) {
            String v = pending.pop();
            if (v.isEmpty() || !seen.add(v)) continue;
            Tensor c = b.g.initializer(v);
            if (c != null) {
                // a constant broadcast over the head axis is harmless; one with its own head axis is not
                if (c.rank() >= 3 && c.dim(-3) != 1) return false;
                continue;
            }
            Node p = b.producers.get(v);
            if (p == null) return false;
            int[] vs = b.shape(v);
            // a value without a head axis (a causal mask sliced to the sequence length) only broadcasts over heads;
            // that it is made from no head-shaped value is checked by closed()
            if (vs != null && vs.length < 3) continue;
            if (p.opType().equals("Reshape")) {
                HeadSplit s = headSplit(p, heads, dh);
                if (s == null) return false;
                if (splits.stream().noneMatch(x -> x.reshape() == p)) splits.add(s);
                continue;
            }
            if (!CORE_OPS.contains(p.opType()) || !coreNodeOk(p) || core.size() >= MAX_CORE) return false;
            core.add(p);
            for (String in : p.inputs()) pending.push(in);
        }
        return true;
    }

    private boolean coreNodeOk(Node p) {
        int[] s = b.shape(p.input(0));
        if (s == null) return false;
        return switch (p.opType()) {
            case "Softmax" -> {
                long axis = p.attrInt("axis", -1);
                yield axis == -1 || axis == s.length - 1;
            }
            // only the q/k/v axis of the fused (3,B,H,N,d) tensor may be split or picked
            case "Split", "Gather" -> s.length == 5 && p.attrInt("axis", 0) == 0;
            case "Squeeze" -> s.length == 5 && (p.hasInput(1) ? b.isWeight(p, 1) && Arrays.equals(b.g.initializer(p.input(1)).toLongs(), new long[] {0})
                    : Arrays.equals(p.attrInts("axes", new long[0]), new long[] {0}));
            case "MatMul" -> !b.isWeight(p, 0) && !b.isWeight(p, 1);
            default -> true;
        };
    }

    /** A Reshape (B,N,F) → (B,N,3,H,d) or (B,N,H,d) of a linear layer's output, read by nothing else. */
    private HeadSplit headSplit(Node r, int heads, int dh) {
        int[] xs = b.shape(r.input(0)), ys = b.shape(r.output(0));
        if (xs == null || ys == null || xs.length != 3 || ys[0] != xs[0] || ys[1] != xs[1]) return null;
        Linear l = producingLinear(r.input(0));
        if (l == null || !readOnlyBy(l.out(), r)) return null;
        if (ys.length == 5 && ys[2] == 3 && ys[3] == heads && ys[4] == dh && xs[2] == 3 * heads * dh) return new HeadSplit(r, l, 3, 3);
        if (ys.length == 4 && ys[2] == heads && ys[3] == dh && xs[2] == heads * dh) return new HeadSplit(r, l, 1, 2);
        return null;
    }

    /**
     * Whether {@code v} is read by {@code reader} and otherwise only by Shape ops whose entries are picked (Gather)
     * off the feature axis: HF-style {@code x.view(B, N, H, d)} reads B from the projection's own output.
     */
    private boolean readOnlyBy(String v, Node reader) {
        int rank = b.shape(v).length;
        for (Node c : b.consumers.getOrDefault(v, List.of())) {
            if (c == reader) continue;
            if (!c.opType().equals("Shape") || c.has("start") || c.has("end")) return false;
            for (Node gather : b.consumers.getOrDefault(c.output(0), List.of())) {
                if (!gather.opType().equals("Gather") || !b.isWeight(gather, 1)) return false;
                for (long i : b.g.initializer(gather.input(1)).toLongs()) if (i == rank - 1 || i == -1) return false;
            }
        }
        return true;
    }

    /** Every value made inside the core (and by the splits) is read only inside it, so no head-shaped value leaks. */
    private boolean closed(Set<Node> core, List<HeadSplit> splits, Node merge) {
        Set<Node> inside = new HashSet<>(core);
        inside.add(merge);
        List<Node> makers = new ArrayList<>(core);
        for (HeadSplit s : splits) makers.add(s.reshape());
        for (Node n : makers)
            for (String o : n.outputs()) {
                if (o.isEmpty()) continue;
                if (b.g.outputNames().contains(o)) return false;
                for (Node c : b.consumers.getOrDefault(o, List.of())) if (!inside.contains(c)) return false;
            }
        return true;
    }

    /** Registers the edit of shape entry {@code pos} of Reshape {@code r}; false when the entry cannot be rewritten. */
    private boolean edit(Node r, int pos, String value, int divisor, List<Dependencies.ShapeEdit> edits) {
        ShapeConstants.Loc loc;
        try {
            loc = ShapeConstants.locate(b.g, b.producers, b.consumers, b.shapes, r.input(1), pos);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (loc == null) return false;
        long v = ShapeConstants.read(b.g, loc);
        if (v == -1 || v == 0) return true; // inferred at run time, or copied from the input
        if (!loc.exclusive()) return false;
        edits.add(new Dependencies.ShapeEdit(r.output(0), loc, value, divisor));
        return true;
    }

    /** Marks a linear layer's nodes as handled and pins the token axis of its input and output. */
    void handleLinear(Linear l) {
        b.handledNodes.add(l.matmul());
        if (l.bias() != null) b.handledNodes.add(l.bias());
        b.handled(l.matmul(), 1);
        pinTokens(l.matmul().input(0));
        pinTokens(l.out());
    }

    private void pinTokens(String v) {
        if (b.tracked(v)) b.cg.block(b.ent(v), "token axis of a transformer block");
    }

    // ---- MLP

    private void mlp(Node mm) {
        Linear fc1 = linear(mm);
        if (fc1 == null) return;
        int[] shape = b.shape(fc1.out());
        Set<Node> core = new LinkedHashSet<>(), pending = new LinkedHashSet<>();
        Set<String> inside = new LinkedHashSet<>(List.of(fc1.out()));
        Node fc2Node = null;
        // grow the hidden set to a fixpoint: GELU's Mul(x, 1+erf(x/√2)) reads two hidden values, one not yet seen
        for (boolean changed = true; changed; ) {
            changed = false;
            for (String v : List.copyOf(inside)) {
                if (b.g.outputNames().contains(v)) return;
                for (Node c : b.consumers.getOrDefault(v, List.of())) {
                    if (core.contains(c) || c == fc2Node) continue;
                    if (c.opType().equals("MatMul") && c.input(0).equals(v) && linear(c) != null && b.g.initializer(c.input(1)).dim(0) == fc1.features()) {
                        if (fc2Node != null) return; // two readers of the hidden features
                        fc2Node = c;
                    } else pending.add(c);
                }
            }
            for (Node c : List.copyOf(pending)) {
                Boolean ok = elementwiseWithin(c, inside, shape);
                if (ok == null) continue;
                if (!ok || core.size() >= MAX_CORE) return;
                pending.remove(c);
                core.add(c);
                inside.add(c.output(0));
                changed = true;
            }
        }
        if (!pending.isEmpty() || fc2Node == null) return;
        Linear fc2 = linear(fc2Node);
        Entity cols = b.weight(fc1.matmul(), 1, 1);
        b.deps.filterAxes.add(cols.key());
        Entity hidden = b.cg.value(fc2.matmul().input(0), shape.length - 1, fc1.features());
        b.cg.unionAll(cols, hidden);
        b.cg.unionAll(b.weight(fc2.matmul(), 1, 0), hidden);
        if (fc1.bias() != null) b.cg.unionAll(b.weight(fc1.bias(), fc1.biasInput(), 0), hidden);
        handleLinear(fc1);
        handleLinear(fc2);
        if (fc2.bias() != null) b.handled(fc2.bias(), fc2.biasInput());
        b.handledNodes.addAll(core);
    }

    /**
     * Whether {@code c} is an element-wise op on the hidden features (its other operands hidden values of the same
     * shape or scalars); null while one of its operands may still turn out to be hidden.
     */
    private Boolean elementwiseWithin(Node c, Set<String> inside, int[] shape) {
        boolean unary = DependencyBuilder.PASSTHROUGH.contains(c.opType()) && !c.opType().endsWith("Pool");
        if (!unary && !DependencyBuilder.ELEMENTWISE.contains(c.opType())) return false;
        if (c.outputs().size() != 1 || !Arrays.equals(b.shape(c.output(0)), shape)) return false;
        boolean waiting = false;
        for (int i = 0; i < c.inputs().size(); i++) {
            String in = c.input(i);
            if (in.isEmpty() || inside.contains(in)) continue;
            Tensor t = b.g.initializer(in);
            if (t != null && t.size() != 1) return false;
            if (t == null) {
                if (b.producers.get(in) == null || !Arrays.equals(b.shape(in), shape)) return false;
                waiting = true;
            }
        }
        return waiting ? null : true;
    }
}
