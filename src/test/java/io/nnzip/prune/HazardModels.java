package io.nnzip.prune;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.models.zoo.TorchStyle;
import java.util.SplittableRandom;

/** One tiny model per topology hazard of structured pruning, in the exporter's idioms (input 4×8×8, 3 classes). */
final class HazardModels {
    private HazardModels() {}

    static TorchStyle start(String name) { return new TorchStyle(name, 11); }

    static Model head(TorchStyle t, String x, int c) {
        x = t.flatten(t.globalAvgPool(x));
        return t.finish(t.linear(x, c, 3), 3);
    }

    static Model residualAdd() {
        TorchStyle t = start("residual");
        String x = t.input(4, 8, 8);
        String a = t.relu(t.conv(x, 4, 8, 3, 1, 1, 1));
        String b = t.conv(a, 8, 8, 3, 1, 1, 1);
        String sc = t.conv(x, 4, 8, 1, 1, 0, 1);
        String y = t.relu(t.add(b, sc));
        String z = t.relu(t.add(t.conv(y, 8, 8, 3, 1, 1, 1), y));
        return head(t, t.relu(t.conv(z, 8, 6, 1, 1, 0, 1)), 6);
    }

    static Model concat() {
        TorchStyle t = start("concat");
        String x = t.input(4, 8, 8);
        String a = t.relu(t.conv(x, 4, 6, 3, 1, 1, 1));
        String b = t.relu(t.conv(x, 4, 5, 1, 1, 0, 1));
        String c = t.concat(1, a, b);
        String d = t.maxPool(t.concat(1, c, a), 2, 2, 0, false);
        return head(t, t.relu(t.conv(d, 17, 6, 3, 1, 1, 1)), 6);
    }

    static Model split() {
        TorchStyle t = start("split");
        GraphBuilder g = t.builder();
        String x = t.input(4, 8, 8);
        String a = t.relu(t.conv(x, 4, 8, 3, 1, 1, 1));
        String[] parts = g.opN("Split", 2, new String[] {a, g.init("sizes", Tensor.vector(3, 5))}, Attribute.of("axis", 1L));
        String p = t.conv(parts[0], 3, 6, 1, 1, 0, 1);
        String q = t.conv(parts[1], 5, 6, 3, 1, 1, 1);
        // an equal split without sizes, as opset 13 allows
        String[] halves = g.opN("Split", 2, new String[] {t.relu(t.add(p, q))}, Attribute.of("axis", 1L));
        String r = t.conv(halves[1], 3, 6, 1, 1, 0, 1);
        return head(t, t.relu(t.add(r, t.conv(halves[0], 3, 6, 1, 1, 0, 1))), 6);
    }

    static Model depthwise() {
        TorchStyle t = start("depthwise");
        GraphBuilder g = t.builder();
        String x = t.input(4, 8, 8);
        String a = t.relu6(t.conv(x, 4, 8, 1, 1, 0, 1));
        String d = t.conv(a, 8, 8, 3, 1, 1, 8);
        SplittableRandom r = new SplittableRandom(5);
        float[][] p = new float[4][8];
        for (int i = 0; i < 8; i++) {
            p[0][i] = (float) (0.5 + r.nextDouble());
            p[1][i] = (float) (r.nextDouble() - 0.5);
            p[2][i] = (float) (r.nextDouble() - 0.5);
            p[3][i] = (float) (0.5 + r.nextDouble());
        }
        String bn = g.op("BatchNormalization", new String[] {d, g.init("bn.scale", p[0], 8), g.init("bn.bias", p[1], 8),
                g.init("bn.mean", p[2], 8), g.init("bn.var", p[3], 8)});
        String y = t.relu6(bn);
        return head(t, t.relu6(t.conv(y, 8, 6, 1, 1, 0, 1)), 6);
    }

    static Model shuffle() {
        TorchStyle t = start("shuffle");
        String x = t.input(4, 8, 8);
        String a = t.relu(t.conv(x, 4, 8, 1, 1, 0, 1));
        String b = t.relu(t.conv(x, 4, 8, 3, 1, 1, 1));
        String s = t.channelShuffle(t.concat(1, a, b), 16, 8, 8, 2);
        String[] parts = t.chunk2(s, 16);
        String c = t.relu(t.conv(parts[1], 8, 8, 1, 1, 0, 1));
        String s2 = t.channelShuffle(t.concat(1, parts[0], c), 16, 8, 8, 2);
        return head(t, t.relu(t.conv(s2, 16, 6, 1, 1, 0, 1)), 6);
    }

    static Model flattenGemm() {
        TorchStyle t = start("flatten");
        String x = t.input(4, 8, 8);
        String a = t.maxPool(t.relu(t.conv(x, 4, 6, 3, 1, 1, 1)), 2, 2, 0, false);
        String f = t.relu(t.linear(t.flatten(a), 6 * 16, 12));
        String b = t.maxPool(t.relu(t.conv(x, 4, 5, 3, 1, 1, 1)), 2, 2, 0, false);
        String v = t.relu(t.linear(t.viewBatchFlat(b), 5 * 16, 12));
        return t.finish(t.linear(t.relu(t.add(f, v)), 12, 3), 3);
    }

    static Model sharedWeights() {
        TorchStyle t = start("shared");
        GraphBuilder g = t.builder();
        String x = t.input(4, 8, 8);
        String a = t.conv(x, 4, 6, 3, 1, 1, 1);
        // a second conv reusing the first one's weight and bias on a different input
        var first = g.graph().nodes().getLast();
        String x2 = t.relu(x);
        String b = g.op("Conv", new String[] {x2, first.input(1), first.input(2)}, first.attributes().values().toArray(new Attribute[0]));
        String c = t.relu(t.conv(t.relu(a), 6, 5, 1, 1, 0, 1));
        String d = t.relu(t.conv(t.relu(b), 6, 5, 1, 1, 0, 1));
        return head(t, t.add(c, d), 5);
    }

    static Model mlp() {
        GraphBuilder g = new GraphBuilder("mlp");
        String x = g.input("input", DType.FLOAT, -1, 1, 4, 4);
        SplittableRandom r = new SplittableRandom(3);
        String h = g.op("Flatten", x, Attribute.of("axis", 1L));
        int[] dims = {16, 12, 8, 3};
        for (int i = 0; i + 1 < dims.length; i++) {
            float[] w = new float[dims[i] * dims[i + 1]], b = new float[dims[i + 1]];
            for (int k = 0; k < w.length; k++) w[k] = (float) (r.nextDouble() - 0.5);
            for (int k = 0; k < b.length; k++) b[k] = (float) (r.nextDouble() - 0.5) * 0.1f;
            if (i == 1) {
                // the MatMul + Add form some exporters emit for nn.Linear
                h = g.op("Add", g.op("MatMul", h, g.init("w" + i, w, dims[i], dims[i + 1])), g.init("b" + i, b, dims[i + 1]));
            } else {
                h = g.op("Gemm", new String[] {h, g.init("w" + i, w, dims[i + 1], dims[i]), g.init("b" + i, b, dims[i + 1])}, Attribute.of("transB", 1L));
            }
            if (i + 2 < dims.length) h = g.op("Relu", h);
        }
        g.rename(h, "output");
        g.output("output", DType.FLOAT, -1, 3);
        return g.build(13);
    }

    /** A local response normalization mixes neighbouring channels: no rule, so its producer must stay whole. */
    static Model unknownOp() {
        TorchStyle t = start("lrn");
        GraphBuilder g = t.builder();
        String x = t.input(4, 8, 8);
        String a = t.relu(t.conv(x, 4, 8, 3, 1, 1, 1));
        String n = g.op("LRN", a, Attribute.of("size", 3L));
        String b = t.relu(t.conv(n, 8, 8, 3, 1, 1, 1));
        return head(t, t.relu(t.conv(b, 8, 6, 1, 1, 0, 1)), 6);
    }
}
