package io.nnzip.prune.dep;

import io.nnzip.ir.Node;
import io.nnzip.prune.dep.ChannelGraph.Entity;
import java.util.List;

/**
 * Channel rules for Reshape, the op exporters use for three different things: flattening into a linear layer
 * ({@code view(b, -1)}), merging spatial dims ({@code (N,C,H,W) -> (N,C,HW)}), and ShuffleNet's channel shuffle
 * ({@code Reshape(N,g,C/g,H,W) -> Transpose(0,2,1,3,4) -> Reshape(N,C,H,W)}). Anything else is blocked.
 */
final class ReshapeRules {
    private final DependencyBuilder b;

    ReshapeRules(DependencyBuilder b) { this.b = b; }

    void reshape(Node n) {
        String x = n.input(0), y = n.output(0);
        int[] xs = b.shape(x), ys = b.shape(y);
        if (!b.tracked(x)) {
            b.blockNode(n, n.describe() + ": reshapes a constant");
            return;
        }
        if (isShuffle(n)) return;
        if (ys == null || ys.length < 2 || ys[0] != xs[0]) {
            b.blockNode(n, n.describe() + ": reshapes the batch axis");
            return;
        }
        int rest = 1;
        for (int i = 2; i < xs.length; i++) rest *= xs[i];
        if (ys.length == 2 && ys[1] == xs[1] * rest) {
            // (N,C,...) -> (N, C·rest): like Flatten
            b.blockMap(b.ent(x), b.ent(y));
            editIfExplicit(n, 1, y, 1);
        } else if (ys[1] == xs[1]) {
            b.cg.unionAll(b.ent(x), b.ent(y));
            editIfExplicit(n, 1, y, 1);
        } else b.blockNode(n, n.describe() + ": regroups channels " + java.util.Arrays.toString(xs) + " -> " + java.util.Arrays.toString(ys));
    }

    /** Registers a shape edit when entry {@code pos} of n's shape is a literal (not -1 or 0); returns false if untraceable. */
    private boolean editIfExplicit(Node n, int pos, String value, int divisor) {
        b.handledNodes.add(n);
        ShapeConstants.Loc loc;
        try {
            loc = ShapeConstants.locate(b.g, b.producers, b.consumers, b.shapes, n.input(1), pos);
        } catch (IllegalArgumentException e) {
            b.blockNode(n, n.describe() + ": " + e.getMessage());
            return false;
        }
        if (loc == null) {
            b.blockNode(n, n.describe() + ": channel entry of the shape is computed at run time");
            return false;
        }
        long v = ShapeConstants.read(b.g, loc);
        if (v == -1 || v == 0) return true; // inferred, or copied from the input's own (pruned) dim
        if (!loc.exclusive()) {
            b.blockNode(n, n.describe() + ": its shape constant is shared with other nodes");
            return false;
        }
        b.deps.shapeEdits.add(new Dependencies.ShapeEdit(n.output(0), loc, value, divisor));
        return true;
    }

    /** Reshape(N,g,C/g,H,W) → Transpose(0,2,1,3,4) → Reshape(N,C,H,W), as ShuffleNet's channel shuffle. */
    private boolean isShuffle(Node r1) {
        int[] xs = b.shape(r1.input(0)), ms = b.shape(r1.output(0));
        if (xs.length != 4 || ms == null || ms.length != 5 || ms[0] != xs[0] || ms[1] * ms[2] != xs[1] || ms[3] != xs[2] || ms[4] != xs[3]) return false;
        List<Node> c1 = b.consumers.getOrDefault(r1.output(0), List.of());
        if (c1.size() != 1 || !c1.get(0).opType().equals("Transpose")) return false;
        Node t = c1.get(0);
        long[] perm = t.attrInts("perm", null);
        if (perm == null || !java.util.Arrays.equals(perm, new long[] {0, 2, 1, 3, 4})) return false;
        List<Node> c2 = b.consumers.getOrDefault(t.output(0), List.of());
        if (c2.size() != 1 || !c2.get(0).opType().equals("Reshape")) return false;
        Node r2 = c2.get(0);
        int[] ys = b.shape(r2.output(0));
        if (ys == null || ys.length != 4 || ys[1] != xs[1] || ys[2] != xs[2] || ys[3] != xs[3]) return false;
        b.handledNodes.add(t);
        b.handledNodes.add(r2);
        int g = ms[1], per = ms[2];
        Entity x = b.ent(r1.input(0)), y = b.ent(r2.output(0));
        for (int c = 0; c < xs[1]; c++) {
            int gi = c / per, j = c % per;
            b.cg.union(x, c, y, j * g + gi);
            // every group must keep the same positions j, or the result is no longer a shuffle
            if (gi > 0) b.cg.union(x, c, x, j);
        }
        if (!editIfExplicit(r1, 2, r1.input(0), g)) return true;
        editIfExplicit(r2, 1, r2.output(0), 1);
        return true;
    }
}
