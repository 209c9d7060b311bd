package io.nnzip.engine.ops;

import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.ir.DType;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.List;

/**
 * ONNX Runtime's com.microsoft.MatMulNBits (4-bit blocked weights, which nnzip's int4 quantization writes): the
 * weight is decoded to float [K, N] — (u − z)·scale per block, two values a byte with the even index in the low
 * nibble, zero point 8 when absent — and multiplied by the engine's own MatMul kernel.
 */
final class MatMulNBitsOp {
    private MatMulNBitsOp() {}

    static void register() {
        OpRegistry.register("com.microsoft", "MatMulNBits", (n, in, c) -> {
            Tensor w = decode(n, in);
            Node mm = new Node(n.name(), "MatMul", List.of(n.input(0), n.input(1)), List.of(n.output(0)));
            return OpRegistry.get(mm).kernel().run(mm, new Tensor[] {in[0], w}, c);
        }, (n, in, o) -> {
            if (in[0].shape() == null) return Rules.one(in[0].dtype(), null);
            int[] s = in[0].shape().clone();
            s[s.length - 1] = (int) n.attrInt("N", 0);
            return Rules.one(in[0].dtype(), s);
        });
    }

    static Tensor decode(Node n, Tensor[] in) {
        int k = (int) n.attrInt("K", 0), cols = (int) n.attrInt("N", 0), bits = (int) n.attrInt("bits", 4), block = (int) n.attrInt("block_size", 0);
        if (bits != 4) throw new UnsupportedOpException("MatMulNBits with bits=" + bits);
        if (in.length > 4 && in[4] != null || in.length > 5 && in[5] != null) throw new UnsupportedOpException("MatMulNBits with g_idx or bias");
        int blocks = (k + block - 1) / block, half = block / 2, zpRow = (blocks + 1) / 2;
        byte[] b = in[1].bytes();
        float[] scales = in[2].toFloats();
        Tensor zt = in.length > 3 ? in[3] : null;
        if (zt != null && zt.dtype() != DType.UINT8) throw new UnsupportedOpException("MatMulNBits with float zero points");
        byte[] z = zt == null ? null : zt.bytes();
        float[] w = new float[k * cols];
        for (int r = 0; r < cols; r++)
            for (int j = 0; j < blocks; j++) {
                int zp = z == null ? 8 : (z[r * zpRow + j / 2] >> (j % 2 == 0 ? 0 : 4)) & 15;
                float s = scales[r * blocks + j];
                for (int i = 0; i < block && j * block + i < k; i++) {
                    int u = (b[(r * blocks + j) * half + i / 2] >> (i % 2 == 0 ? 0 : 4)) & 15;
                    w[(j * block + i) * cols + r] = (u - zp) * s;
                }
            }
        return Tensor.of(w, k, cols);
    }
}
