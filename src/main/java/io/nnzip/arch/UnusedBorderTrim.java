package io.nnzip.arch;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stops convolutions from computing the border a following pooling never reads. A floor-mode pooling with kernel k
 * and stride s on a map of n rows reads only the first s·⌊(n−k)/s⌋+k of them: a 2×2/2 pooling on a 7×7 map drops
 * the last row and column, so a 3×3 convolution before it computes 13 of its 49 positions for nothing. Cutting the
 * convolution's end padding by that many rows leaves every value the pooling reads as it was, so the model computes
 * the same function with fewer MACs. Only stride-1, undilated convolutions whose output reaches the pooling through
 * per-element operators alone (no other reader) are cut, and never by more than their end padding.
 */
final class UnusedBorderTrim {
    /** Operators that map each element on its own (per channel at most), so a shorter map stays the same map, cut. */
    private static final Set<String> ELEMENTWISE = Set.of("Relu", "BatchNormalization", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "Identity", "HardSigmoid",
            "HardSwish", "Elu", "Selu", "PRelu");

    private UnusedBorderTrim() {}

    /** Cuts the unused border of every convolution it can; returns how many convolutions it changed. */
    static int apply(Graph g, int opset) {
        Map<String, ValueType> types = ShapeInference.infer(g, opset, 1, Map.of());
        Map<String, List<Node>> readers = g.consumers();
        List<String> outputs = g.outputNames();
        int changed = 0;
        for (Node conv : g.nodes()) {
            if (!conv.opType().equals("Conv") || !conv.attrString("auto_pad", "NOTSET").equals("NOTSET")) continue;
            long[] pads = conv.attrInts("pads", null);
            ValueType t = types.get(conv.output(0));
            if (pads == null || t == null || !t.hasShape() || t.shape().length != 4) continue;
            if (!allOnes(conv.attrInts("strides", null)) || !allOnes(conv.attrInts("dilations", null))) continue;
            Node pool = poolingReading(conv.output(0), readers, outputs);
            if (pool == null) continue;
            long[] k = pool.attrInts("kernel_shape", null), s = pool.attrInts("strides", null);
            if (k == null || k.length != 2 || s == null || s.length != 2) continue;
            long[] cut = pads.clone();
            boolean any = false;
            for (int i = 0; i < 2; i++) {
                long n = t.shape()[2 + i];
                if (n < k[i]) continue;
                long unused = n - (s[i] * ((n - k[i]) / s[i]) + k[i]), by = Math.min(unused, pads[2 + i]);
                if (by > 0) {
                    cut[2 + i] -= by;
                    any = true;
                }
            }
            if (!any) continue;
            conv.set(Attribute.of("pads", cut));
            changed++;
        }
        return changed;
    }

    /** The floor-mode, unpadded MaxPool or AveragePool that alone reads {@code v} through per-element operators; null if none. */
    private static Node poolingReading(String v, Map<String, List<Node>> readers, List<String> outputs) {
        for (int hop = 0; hop < 8; hop++) {
            List<Node> r = readers.getOrDefault(v, List.of());
            if (r.size() != 1 || outputs.contains(v)) return null;
            Node n = r.getFirst();
            if (n.opType().equals("MaxPool") || n.opType().equals("AveragePool")) {
                boolean plain = n.attrInt("ceil_mode", 0) == 0 && n.attrString("auto_pad", "NOTSET").equals("NOTSET")
                        && allZeros(n.attrInts("pads", null)) && allOnes(n.attrInts("dilations", null)) && n.outputs().size() == 1;
                return plain ? n : null;
            }
            if (!ELEMENTWISE.contains(n.opType()) || !n.input(0).equals(v) || n.outputs().size() != 1) return null;
            v = n.output(0);
        }
        return null;
    }

    private static boolean allOnes(long[] a) {
        if (a == null) return true;
        for (long x : a) if (x != 1) return false;
        return true;
    }

    private static boolean allZeros(long[] a) {
        if (a == null) return true;
        for (long x : a) if (x != 0) return false;
        return true;
    }
}
