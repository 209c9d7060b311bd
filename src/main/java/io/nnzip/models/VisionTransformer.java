package io.nnzip.models;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;

/**
 * A small ViT for 28×28 one-channel images, written as {@code torch.onnx.export} writes a timm-style module
 * (see {@link TransformerLayers}; make_fixtures.py in the test resources is the same model in PyTorch):
 * <pre>
 * input (B,1,28,28) → Conv k=p s=p (patch embedding) → Reshape (B,C,N) → Transpose (B,N,C) → Add pos (1,N,C)
 * → [pre-norm block: multi-head attention, GELU MLP] × depth → LayerNorm → ReduceMean over N → Gemm (classes)
 * </pre>
 */
public final class VisionTransformer {
    private VisionTransformer() {}

    public static Model build(int dim, int depth, int heads, int hidden, int patch, int classes, int opset, long seed) {
        GraphBuilder b = new GraphBuilder("vit");
        TransformerLayers t = new TransformerLayers(b, opset, seed);
        int side = 28 / patch, n = side * side;
        String x = b.input("input", DType.FLOAT, -1, 1, 28, 28);
        double bound = 1 / Math.sqrt(patch * patch);
        x = b.op("Conv", new String[] {x, b.init("patch.weight", t.uniform(dim * patch * patch, bound), dim, 1, patch, patch),
                b.init("patch.bias", t.uniform(dim, bound), dim)}, Attribute.of("dilations", 1L, 1L), Attribute.of("group", 1L),
                Attribute.of("kernel_shape", (long) patch, patch), Attribute.of("pads", 0L, 0L, 0L, 0L), Attribute.of("strides", (long) patch, patch));
        x = b.op("Reshape", x, b.op("Concat", new String[] {t.batchDim(x), t.ints(dim, -1)}, Attribute.of("axis", 0L)));
        x = b.op("Add", b.op("Transpose", x, Attribute.of("perm", 0L, 2L, 1L)), b.init("pos", t.gaussian(n * dim, 0.02), 1, n, dim));
        for (int i = 0; i < depth; i++) x = t.block(x, "blocks." + i, n, dim, heads, hidden, null);
        x = b.op("ReduceMean", t.layerNorm(x, "norm", dim), Attribute.of("axes", new long[] {1}), Attribute.of("keepdims", 0L));
        double hb = 1 / Math.sqrt(dim);
        x = b.op("Gemm", new String[] {x, b.init("head.weight", t.uniform(classes * dim, hb), classes, dim), b.init("head.bias", t.uniform(classes, hb), classes)},
                Attribute.of("alpha", 1f), Attribute.of("beta", 1f), Attribute.of("transB", 1L));
        b.rename(x, "logits");
        b.output("logits", DType.FLOAT, -1, classes);
        Model m = b.build(opset);
        m.setProducerName("pytorch");
        m.setProducerVersion("1.13.1");
        return m;
    }
}
