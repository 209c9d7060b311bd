package io.nnzip.models;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;

/**
 * The built-in architectures for 28×28 one-channel images (Fashion-MNIST), by name.
 * <pre>
 * mlp        784-300-100-10
 * lenet5     conv5×5 6 (pad 2)-ReLU-maxpool2, conv5×5 16-ReLU-maxpool2, FC 120, FC 84, FC 10
 * cnn        [conv3×3 32/64/128 + BN + ReLU + maxpool2] ×3, flatten, FC 256 + ReLU + Dropout 0.25, FC 10
 * resnet8    conv3×3 16 + BN + ReLU, basic blocks 16, 32/2, 64/2, global average pool, FC 10
 * studentnet conv3×3 16 + BN + ReLU6, five [depthwise 3×3 + BN + ReLU6, pointwise 1×1 + BN + ReLU6] blocks
 *            (32, 64/2, 64, 128/2, 128), global average pool, FC 10; every width scaled by the multiplier
 * cnn-torch  the cnn as torch.onnx.export writes it ({@link TorchExportedCnn}), to try imported-model workflows
 * vit        ViT: 7×7 patches by a strided conv, learned positions, 4 pre-norm blocks (width 64, 4 heads, GELU MLP 128),
 *            mean-pool head, as torch.onnx.export writes it at opset 17 ({@link VisionTransformer})
 * gpt-tiny   causal LM over 16 tokens, context 8: token Gather, 2 pre-norm blocks (width 32, 2 heads), causal mask
 *            by Where, head tied to the embedding ({@link TinyCausalLm})
 * </pre>
 */
public final class Models {
    public static final String[] NAMES = {"mlp", "lenet5", "cnn", "resnet8", "studentnet", "vit"};
    /** Models of token sequences (input "ids" (B, {@link #LM_CTX}) int64, output "logits" (B, T, {@link #LM_VOCAB})). */
    public static final String[] LANGUAGE_MODELS = {"gpt-tiny"};
    public static final int LM_VOCAB = 16, LM_CTX = 8;

    private Models() {}

    public static Model create(String name, float width, int classes, long seed) {
        if (!(width > 0)) throw new NnzipException("--width must be positive, got " + width);
        return switch (name.toLowerCase()) {
            case "mlp" -> mlp(width, classes, seed);
            case "lenet5", "lenet" -> lenet5(width, classes, seed);
            case "cnn" -> cnn(width, classes, seed);
            case "resnet8" -> resnet8(width, classes, seed);
            case "studentnet" -> studentNet(width, classes, seed);
            case "cnn-torch" -> TorchExportedCnn.build(scaled(32, width), scaled(64, width), scaled(128, width), scaled(256, width), classes, seed);
            case "vit" -> {
                int dim = Math.max(1, Math.round(16 * width)) * 4;
                yield VisionTransformer.build(dim, 4, 4, 2 * dim, 7, classes, 17, seed);
            }
            case "gpt-tiny" -> TinyCausalLm.build(LM_VOCAB, LM_CTX, Math.max(1, Math.round(8 * width)) * 4, 2, 2, 17, seed);
            default -> throw new NnzipException("unknown model '" + name + "' (use " + String.join(", ", NAMES) + ", " + String.join(", ", LANGUAGE_MODELS) + ")");
        };
    }

    static int scaled(int c, float width) { return Math.max(4, Math.round(c * width)); }

    public static Model mlp(float width, int classes, long seed) {
        return new Sequential("mlp", 1, 28, 28, seed).flatten().linear(scaled(300, width)).relu().linear(scaled(100, width)).relu()
                .classifier(classes).build();
    }

    public static Model lenet5(float width, int classes, long seed) {
        return new Sequential("lenet5", 1, 28, 28, seed).conv(scaled(6, width), 5, 1, 2).relu().maxPool(2)
                .conv(scaled(16, width), 5, 1, 0).relu().maxPool(2).flatten()
                .linear(scaled(120, width)).relu().linear(scaled(84, width)).relu().classifier(classes).build();
    }

    public static Model cnn(float width, int classes, long seed) {
        Sequential s = new Sequential("cnn", 1, 28, 28, seed);
        for (int c : new int[] {32, 64, 128}) s.conv(scaled(c, width), 3, 1, 1).batchNorm().relu().maxPool(2);
        return s.flatten().linear(scaled(256, width)).relu().dropout(0.25f).classifier(classes).build();
    }

    public static Model resnet8(float width, int classes, long seed) {
        Sequential s = new Sequential("resnet8", 1, 28, 28, seed).conv(scaled(16, width), 3, 1, 1, 1, false).batchNorm().relu();
        int[][] stages = {{16, 1}, {32, 2}, {64, 2}};
        for (int[] st : stages) {
            int c = scaled(st[0], width), stride = st[1];
            s.residual(stride, x -> x.conv(c, 3, stride, 1, 1, false).batchNorm().relu().conv(c, 3, 1, 1, 1, false).batchNorm());
        }
        return s.globalAvgPool().flatten().classifier(classes).build();
    }

    /** The seed student: depthwise-separable blocks with ReLU6, for distillation and compression. */
    public static Model studentNet(float width, int classes, long seed) {
        Sequential s = new Sequential("studentnet", 1, 28, 28, seed).conv(scaled(16, width), 3, 1, 1, 1, false).batchNorm().relu6();
        int[][] blocks = {{32, 1}, {64, 2}, {64, 1}, {128, 2}, {128, 1}};
        for (int[] bl : blocks)
            s.depthwise(3, bl[1], 1).batchNorm().relu6().pointwise(scaled(bl[0], width)).batchNorm().relu6();
        return s.globalAvgPool().flatten().classifier(classes).build();
    }
}
