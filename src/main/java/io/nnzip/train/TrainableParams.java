package io.nnzip.train;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which initializers are trained: float initializers in a parameter slot (Conv/ConvTranspose weight and bias,
 * Gemm and MatMul operands, BatchNormalization scale and shift, PRelu slope, a non-scalar Add/Sub operand, AdderConv filter,
 * the threshold of Binarize and the scale of OneHotQuant),
 * whose name matches {@code include} and does not match {@code freeze} (regular expressions, searched).
 * Running statistics, shapes and scalar constants never are.
 */
public final class TrainableParams {
    private static final Map<String, int[]> SLOTS = Map.ofEntries(
            Map.entry("Conv", new int[] {1, 2}), Map.entry("ConvTranspose", new int[] {1, 2}), Map.entry("Gemm", new int[] {0, 1, 2}),
            Map.entry("MatMul", new int[] {0, 1}), Map.entry("BatchNormalization", new int[] {1, 2}), Map.entry("PRelu", new int[] {1}),
            Map.entry("Add", new int[] {0, 1}), Map.entry("Sub", new int[] {0, 1}), Map.entry("Binarize", new int[] {1}),
            Map.entry("OneHotQuant", new int[] {1}), Map.entry("AdderConv", new int[] {1}));

    private TrainableParams() {}

    public static Set<String> select(Graph g, String include, String freeze) {
        Pattern inc = include == null || include.isBlank() ? null : Pattern.compile(include);
        Pattern frz = freeze == null || freeze.isBlank() ? null : Pattern.compile(freeze);
        Set<String> out = new LinkedHashSet<>();
        for (Node n : g.nodes()) {
            int[] slots = SLOTS.get(n.opType());
            if (slots == null || !n.domain().isEmpty()) continue;
            for (int s : slots) {
                if (!n.hasInput(s)) continue;
                String name = n.input(s);
                Tensor t = g.initializer(name);
                if (t == null || t.dtype() != DType.FLOAT) continue;
                if ((n.opType().equals("Add") || n.opType().equals("Sub")) && t.size() <= 1) continue;
                if (inc != null && !inc.matcher(name).find()) continue;
                if (frz != null && frz.matcher(name).find()) continue;
                out.add(name);
            }
        }
        return out;
    }
}
