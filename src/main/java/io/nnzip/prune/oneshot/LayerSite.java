package io.nnzip.prune.oneshot;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One weight layer seen as a matrix product y = W·x: W has {@code rows} outputs and {@code cols} inputs (the
 * reduction: K of a Gemm or MatMul, C·R·S of a Conv), and every calibration activation becomes a set of input
 * vectors x (rows of a MatMul's (…, K) input, im2col patches of a Conv). The weight keeps its ONNX layout;
 * {@link #index} maps matrix positions onto it.
 */
final class LayerSite {
    enum Kind { MATMUL, GEMM_T, GEMM, CONV }

    final Node node;
    final String weight, input;
    final Kind kind;
    final int rows, cols;
    private final int[] wshape;

    private LayerSite(Node node, Kind kind, int[] wshape, int rows, int cols) {
        this.node = node;
        this.weight = node.input(1);
        this.input = node.input(0);
        this.kind = kind;
        this.wshape = wshape;
        this.rows = rows;
        this.cols = cols;
    }

    /** Layers one-shot reconstruction handles: x·W MatMul, Gemm (transA 0), ungrouped Conv, with a float weight read once. */
    static List<LayerSite> find(Graph g) {
        Map<String, Integer> reads = new HashMap<>();
        for (Node n : g.nodes()) for (String i : n.inputs()) reads.merge(i, 1, Integer::sum);
        List<LayerSite> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (n.inputs().size() < 2 || !g.isInitializer(n.input(1)) || g.isInitializer(n.input(0))) continue;
            Tensor w = g.initializer(n.input(1));
            if (w.dtype() != DType.FLOAT || reads.get(n.input(1)) != 1) continue;
            int[] s = w.shape();
            LayerSite site = switch (n.opType()) {
                case "MatMul" -> s.length == 2 ? new LayerSite(n, Kind.MATMUL, s, s[1], s[0]) : null;
                case "Gemm" -> n.attrInt("transA", 0) != 0 || s.length != 2 ? null
                        : n.attrInt("transB", 0) != 0 ? new LayerSite(n, Kind.GEMM_T, s, s[0], s[1]) : new LayerSite(n, Kind.GEMM, s, s[1], s[0]);
                case "Conv" -> s.length == 4 && n.attrInt("group", 1) == 1 ? new LayerSite(n, Kind.CONV, s, s[0], s[1] * s[2] * s[3]) : null;
                default -> null;
            };
            if (site != null) out.add(site);
        }
        return out;
    }

    /** Position in the weight tensor of matrix entry (row r = output, column c = input). */
    int index(int r, int c) {
        return switch (kind) {
            case MATMUL, GEMM -> c * rows + r;
            case GEMM_T, CONV -> r * cols + c;
        };
    }

    /** The weight as a rows × cols matrix, row-major, in double. */
    double[] matrix(Tensor w) {
        float[] d = w.toFloats();
        double[] m = new double[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m[r * cols + c] = d[index(r, c)];
        return m;
    }

    /** The matrix back in the weight's layout. */
    Tensor tensor(double[] m) {
        float[] d = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) d[index(r, c)] = (float) m[r * cols + c];
        return Tensor.of(d, wshape);
    }

    /** Mask in the weight's layout from a matrix-ordered one. */
    boolean[] layoutMask(boolean[] m) {
        boolean[] out = new boolean[m.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[index(r, c)] = m[r * cols + c];
        return out;
    }

    /** Calls {@code sink} with every input vector (length cols) the layer multiplies in activation {@code x}. */
    void inputVectors(Tensor x, java.util.function.Consumer<double[]> sink) {
        float[] d = x.toFloats();
        if (kind != Kind.CONV) {
            for (int o = 0; o + cols <= d.length; o += cols) {
                double[] v = new double[cols];
                for (int i = 0; i < cols; i++) v[i] = d[o + i];
                sink.accept(v);
            }
            return;
        }
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], kh = wshape[2], kw = wshape[3];
        long[] st = node.attrInts("strides", new long[] {1, 1}), dl = node.attrInts("dilations", new long[] {1, 1});
        long[] pads = node.attrInts("pads", new long[] {0, 0, 0, 0});
        if (!node.attrString("auto_pad", "NOTSET").equals("NOTSET")) throw new IllegalArgumentException("auto_pad");
        int oh = (int) ((h + pads[0] + pads[2] - dl[0] * (kh - 1) - 1) / st[0] + 1), ow = (int) ((wd + pads[1] + pads[3] - dl[1] * (kw - 1) - 1) / st[1] + 1);
        for (int b = 0; b < n; b++)
            for (int p = 0; p < oh; p++)
                for (int q = 0; q < ow; q++) {
                    double[] v = new double[cols];
                    int k = 0;
                    for (int ch = 0; ch < c; ch++)
                        for (int r = 0; r < kh; r++)
                            for (int s = 0; s < kw; s++, k++) {
                                long y = p * st[0] - pads[0] + r * dl[0], xx = q * st[1] - pads[1] + s * dl[1];
                                if (y >= 0 && y < h && xx >= 0 && xx < wd) v[k] = d[((b * c + ch) * h + (int) y) * wd + (int) xx];
                            }
                    sink.accept(v);
                }
    }
}
