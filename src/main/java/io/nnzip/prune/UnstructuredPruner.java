package io.nnzip.prune;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Unstructured pruning: zero individual weights of Conv, ConvTranspose, Gemm and MatMul, keeping the dense
 * layout (the codec stores the zeros compactly). {@code amount} is the target share of zeros, so already-zero
 * weights count toward it and iterative schedules can raise it step by step. Biases and normalization
 * parameters are never touched.
 */
public final class UnstructuredPruner {
    public enum Method { MAGNITUDE, L1, L2, RANDOM }

    private UnstructuredPruner() {}

    public static Method method(String s) {
        return switch (s) {
            case "magnitude" -> Method.MAGNITUDE;
            case "l1" -> Method.L1;
            case "l2" -> Method.L2;
            case "random" -> Method.RANDOM;
            default -> throw new io.nnzip.ir.NnzipException("unstructured --method must be magnitude, l1, l2, random, dns, sparsegpt or wanda, not '" + s + "'");
        };
    }

    /** Initializers that are weights of MAC layers, each listed once even when shared. */
    public static List<String> weightTensors(Graph g) {
        List<String> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            int[] slots = switch (n.opType()) {
                case "Conv", "ConvTranspose", "Gemm" -> new int[] {1};
                case "MatMul" -> new int[] {0, 1};
                default -> new int[0];
            };
            for (int i : slots) {
                String w = n.input(i);
                Tensor t = g.initializer(w);
                if (t != null && t.dtype() == DType.FLOAT && t.rank() >= 2 && !out.contains(w)) out.add(w);
            }
        }
        return out;
    }

    /**
     * Zeros weights in place on {@code m} (new tensors) and returns the masks.
     * @param scope "layer": each tensor reaches {@code amount}; "global": one threshold across all tensors
     */
    public static WeightMasks prune(Model m, Method method, double amount, String scope, long seed) {
        return prune(m, method, amount, scope, Map.of(), seed);
    }

    /**
     * As {@link #prune(Model, Method, double, String, long)}, but the tensors named in {@code fixed} reach their own
     * amount, each ranked within itself; the rest share {@code amount} as {@code scope} says.
     */
    public static WeightMasks prune(Model m, Method method, double amount, String scope, Map<String, Double> fixed, long seed) {
        Graph g = m.graph();
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (String n : weightTensors(g)) weights.put(n, g.initializer(n).toFloats());
        WeightMasks masks = masks(weights, method, amount, scope, fixed, seed);
        masks.apply(g);
        return masks;
    }

    /** The masks that prune {@code weights} (by tensor name) as {@link #prune(Model, Method, double, String, Map, long)} says. */
    public static WeightMasks masks(Map<String, float[]> weights, Method method, double amount, String scope, Map<String, Double> fixed, long seed) {
        if (!scope.equals("layer") && !scope.equals("global")) throw new IllegalArgumentException("scope must be layer or global, not '" + scope + "'");
        Map<String, float[]> scores = new LinkedHashMap<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Map.Entry<String, float[]> e : weights.entrySet()) {
            float[] w = e.getValue();
            float[] s = new float[w.length];
            for (int i = 0; i < w.length; i++)
                s[i] = switch (method) {
                    case MAGNITUDE, L1 -> Math.abs(w[i]);
                    case L2 -> w[i] * w[i];
                    // zeros stay pruned; the rest is ranked at random
                    case RANDOM -> w[i] == 0 ? 0 : (float) (1e-30 + rnd.nextDouble());
                };
            scores.put(e.getKey(), s);
        }
        Map<String, boolean[]> out = new LinkedHashMap<>();
        List<String> shared = new ArrayList<>();
        for (String n : scores.keySet()) {
            Double own = fixed.get(n);
            if (own != null || scope.equals("layer")) {
                float[] s = scores.get(n);
                int k = (int) Math.floor((own != null ? own : amount) * s.length + 1e-9);
                out.put(n, below(s, kth(s, k), new int[] {k}));
            } else shared.add(n);
        }
        if (!shared.isEmpty()) {
            int total = shared.stream().mapToInt(n -> scores.get(n).length).sum();
            float[] all = new float[total];
            int o = 0;
            for (String n : shared) {
                float[] s = scores.get(n);
                System.arraycopy(s, 0, all, o, s.length);
                o += s.length;
            }
            int k = (int) Math.floor(amount * total + 1e-9);
            float thr = kth(all, k);
            int[] budget = {k};
            // ties at the threshold are broken in tensor order so exactly k weights go
            for (String n : shared) out.put(n, below(scores.get(n), thr, budget));
        }
        WeightMasks masks = new WeightMasks();
        for (String n : scores.keySet()) masks.put(n, out.get(n));
        return masks;
    }

    /** The k-th smallest value (the threshold that k values are strictly below or tied at); -inf when k = 0. */
    static float kth(float[] a, int k) {
        if (k <= 0) return Float.NEGATIVE_INFINITY;
        float[] c = a.clone();
        Arrays.sort(c);
        return c[Math.min(k, c.length) - 1];
    }

    private static boolean[] below(float[] s, float thr, int[] budget) {
        boolean[] m = new boolean[s.length];
        for (int i = 0; i < s.length; i++) if (s[i] < thr && budget[0] > 0) { m[i] = true; budget[0]--; }
        for (int i = 0; i < s.length; i++) if (s[i] == thr && !m[i] && budget[0] > 0) { m[i] = true; budget[0]--; }
        return m;
    }

    /**
     * N:M semi-structured sparsity: in every run of M consecutive weights along a layer's reduction axis keep
     * the N largest magnitudes (2:4 is what sparse tensor cores accelerate). Runs cut short by the axis end stay dense.
     */
    public static WeightMasks nm(Model m, int n, int mm) {
        if (n <= 0 || mm <= 0 || n > mm) throw new io.nnzip.ir.NnzipException("--nm needs 0 < N ≤ M, got " + n + ":" + mm);
        Graph g = m.graph();
        WeightMasks masks = new WeightMasks();
        Map<String, Integer> reductionAxis = reductionAxes(g);
        for (String name : weightTensors(g)) {
            Tensor t = g.initializer(name);
            float[] w = t.toFloats();
            int[] shape = t.shape();
            int axis = reductionAxis.getOrDefault(name, 1);
            // the reduction of a Conv spans C·R·S, contiguous within each filter
            int len = axis == 1 && shape.length > 2 ? w.length / shape[0] : shape[axis];
            int stride = 1;
            if (!(axis == 1 && shape.length > 2)) for (int i = axis + 1; i < shape.length; i++) stride *= shape[i];
            int lines = w.length / len;
            boolean[] mask = new boolean[w.length];
            Integer[] order = new Integer[mm];
            for (int line = 0; line < lines; line++) {
                int base = stride == 1 ? line * len : (line / stride) * len * stride + line % stride;
                for (int start = 0; start + mm <= len; start += mm) {
                    for (int j = 0; j < mm; j++) order[j] = base + (start + j) * stride;
                    Arrays.sort(order, (a, b) -> Float.compare(Math.abs(w[a]), Math.abs(w[b])));
                    for (int j = 0; j < mm - n; j++) mask[order[j]] = true;
                }
            }
            masks.put(name, mask);
        }
        masks.apply(g);
        return masks;
    }

    /** Axis of each weight that its layer sums over: Conv input channels (1), Gemm/MatMul K. */
    static Map<String, Integer> reductionAxes(Graph g) {
        Map<String, Integer> r = new LinkedHashMap<>();
        for (Node n : g.nodes())
            switch (n.opType()) {
                case "Conv" -> r.putIfAbsent(n.input(1), 1);
                case "ConvTranspose" -> r.putIfAbsent(n.input(1), 0);
                case "Gemm" -> r.putIfAbsent(n.input(1), n.attrInt("transB", 0) != 0 ? 1 : 0);
                case "MatMul" -> {
                    r.putIfAbsent(n.input(1), 0);
                    r.putIfAbsent(n.input(0), 1);
                }
                default -> { }
            }
        return r;
    }
}
