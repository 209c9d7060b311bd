package io.nnzip.engine.ops;

import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.List;

/**
 * ONNX Runtime's com.microsoft.FastGelu, which nnzip's int8 transformer placement writes where the GELU's output
 * quantization step hides the tanh approximation, or everywhere on request ({@code quant/prep/TanhGelu}): {@code FastGelu(X, [bias]) = Gelu_tanh(X + bias)}, with
 * Gelu_tanh(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) and bias (C) added along the last axis. Runs as the
 * standard Gelu with approximate = "tanh".
 */
final class FastGeluOp {
    private FastGeluOp() {}

    static void register() {
        OpRegistry.register("com.microsoft", "FastGelu", (n, in, ctx) -> {
            Tensor x = ConvOps.floatInput(n, in, 0);
            if (in.length > 1 && in[1] != null) {
                float[] b = ConvOps.floatInput(n, in, 1).floats(), v = x.floats().clone();
                if (b.length == 0 || v.length % b.length != 0 || x.dim(-1) != b.length) throw new NnzipException(n.describe() + ": bias of " + b.length + " for last axis " + x.dim(-1));
                for (int i = 0; i < v.length; i++) v[i] += b[i % b.length];
                x = Tensor.of(v, x.shape());
            }
            Node gelu = new Node(n.name(), "Gelu", List.of(n.input(0)), List.of(n.output(0))).set(Attribute.of("approximate", "tanh"));
            return OpRegistry.get(gelu).kernel().run(gelu, new Tensor[] {x}, ctx);
        }, Rules.SAME);
    }
}
