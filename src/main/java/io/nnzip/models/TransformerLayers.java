package io.nnzip.models;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Tensor;
import java.util.SplittableRandom;

/**
 * Emits transformer layers the way {@code torch.onnx.export} (1.13) writes timm/HF modules, so graphs built here
 * look like the foreign ones users bring:
 * <pre>
 * nn.Linear on (B,N,C)  MatMul(x, W stored (in,out)) → Add(bias, ·)
 * nn.LayerNorm          opset ≥ 17: LayerNormalization; below: ReduceMean → Sub → Pow 2 → ReduceMean → Add ε → Sqrt → Div → Mul → Add
 * nn.GELU               Div √2 → Erf → Add 1 → Mul x → Mul 0.5
 * attention (timm)      qkv Linear → Reshape (B,N,3,H,C/H) → Transpose (2,0,3,1,4) → Split → Squeeze ×3
 *                       → q·Transpose(k) → Mul scale [→ Where(mask, ·, −inf)] → Softmax → ·v → Transpose (0,2,1,3)
 *                       → Reshape (B,N,C) → proj Linear
 * </pre>
 * The batch size is read at run time (Shape → Gather → Unsqueeze → Concat), as the exporter does for dynamic axes.
 * Initialization is PyTorch's default: Linear uniform ±1/√fan_in, LayerNorm ones and zeros.
 */
final class TransformerLayers {
    final GraphBuilder b;
    final int opset;
    final SplittableRandom rnd;

    TransformerLayers(GraphBuilder b, int opset, long seed) {
        this.b = b;
        this.opset = opset;
        this.rnd = new SplittableRandom(seed);
    }

    float[] uniform(int n, double bound) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        return w;
    }

    float[] gaussian(int n, double std) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double u = Math.max(1e-12, rnd.nextDouble()), v = rnd.nextDouble();
            w[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * std);
        }
        return w;
    }

    String ints(long... v) { return b.op("Constant", new String[0], Attribute.of("value", Tensor.vector(v))); }

    String scalar(float v) { return b.op("Constant", new String[0], Attribute.of("value", Tensor.scalar(v))); }

    // x: (..., in) -> (..., out); weight stored (in, out) as the exporter writes it
    String linear(String x, String name, int in, int out) {
        double bound = 1 / Math.sqrt(in);
        String w = b.init(name + ".weight", uniform(in * out, bound), in, out), bias = b.init(name + ".bias", uniform(out, bound), out);
        return b.op("Add", bias, b.op("MatMul", x, w));
    }

    // x: (..., C) normalized over C
    String layerNorm(String x, String name, int c) {
        float[] ones = new float[c];
        java.util.Arrays.fill(ones, 1f);
        String scale = b.init(name + ".weight", ones, c), bias = b.init(name + ".bias", new float[c], c);
        if (opset >= 17) return b.op("LayerNormalization", new String[] {x, scale, bias}, Attribute.of("axis", -1L), Attribute.of("epsilon", 1e-5f));
        String mean = b.op("ReduceMean", x, Attribute.of("axes", new long[] {-1}));
        String d = b.op("Sub", x, mean);
        String var = b.op("ReduceMean", b.op("Pow", d, scalar(2f)), Attribute.of("axes", new long[] {-1}));
        String norm = b.op("Div", d, b.op("Sqrt", b.op("Add", var, scalar(1e-5f))));
        return b.op("Add", b.op("Mul", norm, scale), bias);
    }

    String gelu(String x) {
        String erf = b.op("Erf", b.op("Div", x, scalar((float) Math.sqrt(2))));
        return b.op("Mul", b.op("Mul", x, b.op("Add", erf, scalar(1f))), scalar(0.5f));
    }

    /** The batch size of {@code x} as a 1-element int64 vector (for Reshape targets). */
    String batchDim(String x) {
        String n = b.op("Gather", new String[] {b.op("Shape", x), b.op("Constant", new String[0], Attribute.of("value", Tensor.scalarLong(0)))},
                Attribute.of("axis", 0L));
        return b.op("Unsqueeze", n, ints(0));
    }

    // x: (B,N,C) -> (B,N,C); mask: bool (N,N) or null
    String attention(String x, String name, int n, int c, int heads, String mask) {
        int dh = c / heads;
        String batch = batchDim(x);
        String qkv = linear(x, name + ".qkv", c, 3 * c);
        String split = b.op("Concat", new String[] {batch, ints(n, 3, heads, dh)}, Attribute.of("axis", 0L));
        String t = b.op("Transpose", b.op("Reshape", qkv, split), Attribute.of("perm", 2L, 0L, 3L, 1L, 4L));
        String[] parts = b.opN("Split", 3, new String[] {t, ints(1, 1, 1)}, Attribute.of("axis", 0L));
        String q = b.op("Squeeze", parts[0], ints(0)), k = b.op("Squeeze", parts[1], ints(0)), v = b.op("Squeeze", parts[2], ints(0));
        String a = b.op("Mul", b.op("MatMul", q, b.op("Transpose", k, Attribute.of("perm", 0L, 1L, 3L, 2L))), scalar((float) (1 / Math.sqrt(dh))));
        if (mask != null) a = b.op("Where", new String[] {mask, a, scalar(Float.NEGATIVE_INFINITY)});
        a = b.op("Softmax", a, Attribute.of("axis", -1L));
        String o = b.op("Transpose", b.op("MatMul", a, v), Attribute.of("perm", 0L, 2L, 1L, 3L));
        String merge = b.op("Concat", new String[] {batch, ints(n, c)}, Attribute.of("axis", 0L));
        return linear(b.op("Reshape", o, merge), name + ".proj", c, c);
    }

    /** Pre-norm block: x + attn(norm1(x)), then x + fc2(gelu(fc1(norm2(x)))). */
    String block(String x, String name, int n, int c, int heads, int hidden, String mask) {
        x = b.op("Add", x, attention(layerNorm(x, name + ".norm1", c), name + ".attn", n, c, heads, mask));
        String h = gelu(linear(layerNorm(x, name + ".norm2", c), name + ".fc1", c, hidden));
        return b.op("Add", x, linear(h, name + ".fc2", hidden, c));
    }
}
