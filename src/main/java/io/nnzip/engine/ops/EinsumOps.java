package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Einsum by direct summation over every label: correct for any equation (repeated labels, ellipsis broadcasting,
 * implicit output) but O(product of all label sizes), meant for the small contractions exporters emit; large
 * matrix products belong in MatMul. Registered by {@link MiscOps}.
 */
final class EinsumOps {
    private static final int ELLIPSIS = 1 << 16;

    private EinsumOps() {}

    static void register() { OpRegistry.register("Einsum", EinsumOps::einsum, EinsumOps::rule); }

    /** Labels of one term; ellipsis dims become ELLIPSIS + k, right-aligned to {@code ellipsisRank}. */
    private static int[] labels(String term, int rank, int ellipsisRank, boolean isOutput) {
        List<Integer> out = new ArrayList<>();
        int dots = term.indexOf("...");
        int letters = term.replace("...", "").length();
        int e = dots < 0 ? 0 : isOutput ? ellipsisRank : rank - letters;
        for (int i = 0; i < term.length(); i++) {
            if (i == dots) {
                for (int k = 0; k < e; k++) out.add(ELLIPSIS + ellipsisRank - e + k);
                i += 2;
                continue;
            }
            char c = term.charAt(i);
            if (!Character.isLetter(c)) throw new NnzipException("Einsum: bad character '" + c + "' in term '" + term + "'");
            out.add((int) c);
        }
        if (!isOutput && out.size() != rank) throw new NnzipException("Einsum: term '" + term + "' does not match an input of rank " + rank);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private record Plan(int[][] in, int[] out, Map<Integer, Integer> sizes) {}

    private static Plan plan(String equation, int[][] shapes) {
        String eq = equation.replace(" ", "");
        String[] sides = eq.split("->", -1);
        String[] terms = sides[0].split(",", -1);
        if (terms.length != shapes.length) throw new NnzipException("Einsum: equation has " + terms.length + " inputs, got " + shapes.length);
        int ell = 0;
        for (int i = 0; i < terms.length; i++) if (terms[i].contains("...")) ell = Math.max(ell, shapes[i].length - terms[i].replace("...", "").length());
        int[][] in = new int[terms.length][];
        Map<Integer, Integer> sizes = new LinkedHashMap<>();
        Map<Integer, Integer> count = new LinkedHashMap<>();
        for (int i = 0; i < terms.length; i++) {
            in[i] = labels(terms[i], shapes[i].length, ell, false);
            for (int d = 0; d < in[i].length; d++) {
                int l = in[i][d], sz = shapes[i][d];
                Integer prev = sizes.get(l);
                // -1 is an unknown dim (shape inference); it never overrides a known size.
                if (prev == null || ((prev == 1 || prev == -1) && sz != -1)) sizes.put(l, sz);
                else if (sz != 1 && sz != -1 && sz != prev) throw new NnzipException("Einsum: label '" + name(l) + "' has sizes " + prev + " and " + sz);
                count.merge(l, 1, Integer::sum);
            }
        }
        int[] out;
        if (sides.length > 1) {
            out = labels(sides[1], 0, ell, true);
        } else {
            // Implicit output: ellipsis dims, then labels used exactly once, in alphabetical order.
            List<Integer> o = new ArrayList<>();
            for (int k = 0; k < ell; k++) o.add(ELLIPSIS + k);
            TreeSet<Integer> once = new TreeSet<>();
            count.forEach((l, c) -> {
                if (c == 1 && l < ELLIPSIS) once.add(l);
            });
            o.addAll(once);
            out = o.stream().mapToInt(Integer::intValue).toArray();
        }
        for (int l : out) if (!sizes.containsKey(l)) throw new NnzipException("Einsum: output label '" + name(l) + "' does not appear in any input");
        return new Plan(in, out, sizes);
    }

    private static String name(int l) { return l >= ELLIPSIS ? "..." : String.valueOf((char) l); }

    private static Tensor[] einsum(Node n, Tensor[] in, ExecContext ctx) {
        String eq = n.attrString("equation", null);
        if (eq == null) throw new NnzipException("Einsum: attribute 'equation' is required");
        for (Tensor t : in) if (!t.dtype().isFloating() && !t.dtype().isInteger()) throw new UnsupportedOpException("Einsum on " + t.dtype().lower());
        int[][] shapes = new int[in.length][];
        for (int i = 0; i < in.length; i++) shapes[i] = in[i].shape();
        Plan p = plan(eq, shapes);
        List<Integer> all = new ArrayList<>();
        for (int l : p.out()) all.add(l);
        for (int l : p.sizes().keySet()) if (!all.contains(l)) all.add(l);
        int L = all.size();
        int[] dims = new int[L];
        for (int i = 0; i < L; i++) dims[i] = p.sizes().get(all.get(i));
        // Per input, the stride each label contributes (summed for repeated labels, 0 where broadcast).
        int[][] strides = new int[in.length][L];
        double[][] vals = new double[in.length][];
        for (int i = 0; i < in.length; i++) {
            int[] st = io.nnzip.ir.Shapes.strides(shapes[i]);
            for (int d = 0; d < p.in()[i].length; d++) if (shapes[i][d] != 1) strides[i][all.indexOf(p.in()[i][d])] += st[d];
            vals[i] = Values.doubles(in[i]);
        }
        int[] outShape = new int[p.out().length];
        for (int i = 0; i < outShape.length; i++) outShape[i] = dims[i];
        int outN = io.nnzip.ir.Shapes.numel(outShape), sumN = io.nnzip.ir.Shapes.product(dims, outShape.length, L);
        double[] y = new double[outN];
        int[] c = new int[L];
        int[] off = new int[in.length];
        for (int o = 0; o < outN; o++)
            for (int s = 0; s < sumN; s++) {
                double prod = 1;
                for (int i = 0; i < in.length; i++) prod *= vals[i][off[i]];
                y[o] += prod;
                for (int d = L - 1; d >= 0; d--) {
                    c[d]++;
                    for (int i = 0; i < in.length; i++) off[i] += strides[i][d];
                    if (c[d] < dims[d]) break;
                    for (int i = 0; i < in.length; i++) off[i] -= strides[i][d] * c[d];
                    c[d] = 0;
                }
            }
        return new Tensor[] {Values.fromDoubles(in[0].dtype(), outShape, y)};
    }

    private static ValueType[] rule(Node n, ValueType[] in, int opset) {
        int[][] shapes = new int[in.length][];
        for (int i = 0; i < in.length; i++) {
            if (in[i].shape() == null) return new ValueType[] {ValueType.unknown(in[0].dtype())};
            shapes[i] = in[i].shape();
        }
        Plan p = plan(n.attrString("equation", ""), shapes);
        int[] out = new int[p.out().length];
        for (int i = 0; i < out.length; i++) out[i] = p.sizes().get(p.out()[i]);
        return new ValueType[] {ValueType.of(in[0].dtype(), out)};
    }
}
