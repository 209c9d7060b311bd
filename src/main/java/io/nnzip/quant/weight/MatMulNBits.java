package io.nnzip.quant.weight;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.QuantMath;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX Runtime's 4-bit weight container: {@code com.microsoft.MatMulNBits} replaces MatMul(x, W[K,N]) and keeps W
 * as N rows of K/block blocks, two unsigned 4-bit values a byte (the even index in the low nibble), one float
 * scale and one 4-bit zero point per block. Unlike DequantizeLinear(int4) it needs no opset 21, so it works on any
 * graph ORT runs, and ORT multiplies with it directly instead of first decoding the weight.
 */
public final class MatMulNBits {
    public static final String DOMAIN = "com.microsoft";

    private MatMulNBits() {}

    /** The stored arrays: B [N, blocks, block/2], zero points [N, ceil(blocks/2)] (both packed nibbles). */
    public record Packed(byte[] b, byte[] zeroPoints, float[] scales, int n, int k, int blocks, int block) {
        public long bytes() { return b.length + zeroPoints.length + 4L * scales.length; }
    }

    /** Whether ORT accepts this block size (a power of two ≥ 16). */
    public static boolean validBlock(int block) { return block >= 16 && Integer.bitCount(block) == 1; }

    /**
     * Packs 4-bit grouped ints (rows = N outputs, cols = K inputs, group = the block) into MatMulNBits' layout:
     * signed values q ∈ [−8, 7] with zero point z become the unsigned q + 8, z + 8 (the same (q − z)·scale);
     * the padding of a short last block holds the zero point, so it decodes to 0.
     */
    public static Packed pack(GroupedInts gi) {
        if (gi.bits() > 4 || !validBlock(gi.group())) throw new IllegalArgumentException("MatMulNBits stores ≤ 4 bits in blocks of 2^k ≥ 16, not " + gi.bits() + " bits g" + gi.group());
        int n = gi.rows(), k = gi.cols(), block = gi.group(), blocks = gi.groups(), off = -QuantMath.qminBits(4), half = block / 2;
        byte[] b = new byte[n * blocks * half];
        byte[] z = new byte[n * ((blocks + 1) / 2)];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < blocks; j++) {
                int zp = gi.zeroPoints()[r * blocks + j] + off;
                for (int i = 0; i < block; i++) {
                    int c = j * block + i;
                    int u = c < k ? gi.q()[r * k + c] + off : zp;
                    b[(r * blocks + j) * half + i / 2] |= (byte) (i % 2 == 0 ? u : u << 4);
                }
                z[r * ((blocks + 1) / 2) + j / 2] |= (byte) (j % 2 == 0 ? zp : zp << 4);
            }
        return new Packed(b, z, gi.scales().clone(), n, k, blocks, block);
    }

    /**
     * Replaces {@code matmul} (input 1 a [K, N] weight; or a Gemm, whose bias C then follows as an Add) by a
     * MatMulNBits node with the packed weight.
     */
    public static Node replace(Model m, Node matmul, Packed p) {
        Graph g = m.graph();
        String base = matmul.input(1);
        String bi = Containers.init(g, base + "_q4", bytes(p.b(), p.n(), p.blocks(), p.block() / 2));
        String si = Containers.init(g, base + "_scale", Tensor.of(p.scales(), p.n() * p.blocks()));
        String zi = Containers.init(g, base + "_zero_point", bytes(p.zeroPoints(), p.zeroPoints().length));
        boolean bias = matmul.opType().equals("Gemm") && matmul.hasInput(2);
        String y = bias ? g.freshName(matmul.output(0) + "_nbits") : matmul.output(0);
        Node q = new Node(g.freshName(matmul.name() + "_nbits"), "MatMulNBits", DOMAIN,
                new ArrayList<>(List.of(matmul.input(0), bi, si, zi)), new ArrayList<>(List.of(y)));
        q.set(Attribute.of("K", (long) p.k())).set(Attribute.of("N", (long) p.n())).set(Attribute.of("bits", 4L))
                .set(Attribute.of("block_size", (long) p.block()));
        int at = g.nodes().indexOf(matmul);
        g.nodes().set(at, q);
        if (bias) g.nodes().add(at + 1, new Node(g.freshName(matmul.name() + "_bias"), "Add", "",
                new ArrayList<>(List.of(y, matmul.input(2))), new ArrayList<>(List.of(matmul.output(0)))));
        m.opsets().putIfAbsent(DOMAIN, 1L);
        return q;
    }

    /**
     * Replaces every MatMul or linear Gemm ({@link #fits}) with its own 2-D float weight (not excluded) by MatMulNBits; the grouped ints are
     * {@code given} by weight name (GPTQ) or rounded here. Returns the layers for the report.
     */
    public static List<WeightOnlyQuantizer.Layer> applyAll(Model m, java.util.Set<String> exclude, int block, int bits, java.util.Map<String, GroupedInts> given) {
        Graph g = m.graph();
        java.util.Map<String, List<Node>> readers = g.consumers();
        List<WeightOnlyQuantizer.Layer> layers = new ArrayList<>();
        for (Node n : List.copyOf(g.nodes())) {
            if (!fits(g, n) || exclude.contains(n.name()) || readers.getOrDefault(n.input(1), List.of()).size() != 1) continue;
            Tensor w = g.initializer(n.input(1));
            WeightMatrix wm = WeightMatrix.of(w, n.opType().equals("Gemm") && n.attrInt("transB", 0) != 0 ? 0 : 1);
            GroupedInts gi = given.get(n.input(1));
            if (gi == null) gi = GroupedLinearQuantizer.round(wm.m(), wm.rows(), wm.cols(), block, bits);
            Packed p = pack(gi);
            String y = n.output(0);
            Node q = replace(m, n, p);
            // the report compares a layer's output by name with the float model's: a Gemm's bias Add now writes it
            if (!q.output(0).equals(y)) q = new Node(q.name(), q.opType(), q.domain(), q.inputs(), List.of(y));
            EncodedWeight e = new EncodedWeight(wm.toOriginal(gi.decoded()), bits, "MatMulNBits uint4 g" + block, p.bytes(), gi.minScale(), gi.maxScale(), 0, null);
            layers.add(new WeightOnlyQuantizer.Layer(q, n.input(1), w, e));
        }
        g.removeUnusedInitializers();
        return layers;
    }

    /**
     * MatMul(x, W) with W a 2-D float initializer, or a plain linear Gemm (x·W or x·Wᵀ, + a constant bias vector)
     * inside the network, as nn.MultiheadAttention's out_proj is exported; a Gemm writing a graph output (the
     * classifier head) keeps the other containers.
     */
    public static boolean fits(Graph g, Node n) {
        if (!n.domain().isEmpty() || !g.isInitializer(n.input(1)) || g.isInitializer(n.input(0))) return false;
        Tensor w = g.initializer(n.input(1));
        if (w.rank() != 2 || w.dtype() != DType.FLOAT) return false;
        if (n.opType().equals("MatMul")) return true;
        return n.opType().equals("Gemm") && !g.outputNames().contains(n.output(0)) && n.attrInt("transA", 0) == 0 && n.attrFloat("alpha", 1f) == 1f && n.attrFloat("beta", 1f) == 1f
                && (!n.hasInput(2) || (g.isInitializer(n.input(2)) && g.initializer(n.input(2)).rank() == 1));
    }

    private static Tensor bytes(byte[] v, int... shape) {
        Tensor t = Tensor.zeros(DType.UINT8, shape);
        System.arraycopy(v, 0, t.bytes(), 0, v.length);
        return t;
    }
}
