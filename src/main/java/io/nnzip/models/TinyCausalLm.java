package io.nnzip.models;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;

/**
 * A small GPT-style causal language model, written as {@code torch.onnx.export} writes it (see
 * {@link TransformerLayers}; make_fixtures.py in the test resources has the PyTorch twin):
 * <pre>
 * ids (B,T) int64 → Gather(tok (V,C)) + pos (1,T,C) → [pre-norm block, attention masked by
 * Where(tril (T,T), scores, −inf)] × depth → LayerNorm → MatMul(Transpose(tok)) (head tied to the embedding)
 * → logits (B,T,V)
 * </pre>
 * The sequence length is fixed at {@code ctx}.
 */
public final class TinyCausalLm {
    private TinyCausalLm() {}

    public static Model build(int vocab, int ctx, int dim, int depth, int heads, int opset, long seed) {
        GraphBuilder b = new GraphBuilder("gpt");
        TransformerLayers t = new TransformerLayers(b, opset, seed);
        String ids = b.input("ids", DType.INT64, -1, ctx);
        String tok = b.init("tok.weight", t.gaussian(vocab * dim, 1), vocab, dim);
        String x = b.op("Add", b.op("Gather", new String[] {tok, ids}, Attribute.of("axis", 0L)), b.init("pos", t.gaussian(ctx * dim, 0.02), 1, ctx, dim));
        byte[] tril = new byte[ctx * ctx];
        for (int i = 0; i < ctx; i++) for (int j = 0; j <= i; j++) tril[i * ctx + j] = 1;
        String mask = b.init("mask", new Tensor(DType.BOOL, new int[] {ctx, ctx}, tril));
        for (int i = 0; i < depth; i++) x = t.block(x, "blocks." + i, ctx, dim, heads, 2 * dim, mask);
        x = b.op("MatMul", t.layerNorm(x, "norm", dim), b.op("Transpose", tok, Attribute.of("perm", 1L, 0L)));
        b.rename(x, "logits");
        b.output("logits", DType.FLOAT, -1, ctx, vocab);
        Model m = b.build(opset);
        m.setProducerName("pytorch");
        m.setProducerVersion("1.13.1");
        return m;
    }
}
