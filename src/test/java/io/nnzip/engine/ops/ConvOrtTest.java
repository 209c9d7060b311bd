package io.nnzip.engine.ops;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.OpCheck;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Conv and ConvTranspose against ONNX Runtime on single-node graphs over a random grid of configurations. */
class ConvOrtTest {
    static final Parallel TWO = new Parallel(2), ONE = new Parallel(1);

    @Test
    void convGrid() {
        SplittableRandom r = new SplittableRandom(11);
        for (int t = 0; t < 160; t++) {
            boolean oneD = r.nextInt(4) == 0;
            int n = 1 + r.nextInt(3), cg = 1 + r.nextInt(4), group = r.nextInt(3) == 0 ? 1 + r.nextInt(3) : 1;
            boolean depthwise = r.nextInt(5) == 0;
            int c = cg * group, kOut = depthwise ? c : group * (1 + r.nextInt(5));
            if (depthwise) {
                group = c;
                cg = 1;
            }
            int h = oneD ? 1 : 4 + r.nextInt(9), w = 4 + r.nextInt(12);
            int kh = oneD ? 1 : 1 + r.nextInt(4), kw = 1 + r.nextInt(4);
            int sh = 1 + r.nextInt(2), sw = 1 + r.nextInt(3), dh = 1 + r.nextInt(2), dw = 1 + r.nextInt(2);
            String autoPad = new String[] {"NOTSET", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}[r.nextInt(6)];
            int[] pads = {r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3)};
            if (autoPad.startsWith("SAME")) dh = dw = 1; // ORT rejects dilated SAME padding
            if (!oneD && (h + pads[0] + pads[2] < dh * (kh - 1) + 1)) continue;
            if (w + pads[1] + pads[3] < dw * (kw - 1) + 1 || w < dw * (kw - 1) + 1 || h < dh * (kh - 1) + 1) continue;
            boolean bias = r.nextBoolean();
            GraphBuilder g = new GraphBuilder("conv");
            String x = oneD ? g.input("x", DType.FLOAT, n, c, w) : g.input("x", DType.FLOAT, n, c, h, w);
            List<Attribute> attrs = new ArrayList<>();
            attrs.add(Attribute.of("group", (long) group));
            attrs.add(oneD ? Attribute.of("strides", new long[] {sw}) : Attribute.of("strides", sh, sw));
            attrs.add(oneD ? Attribute.of("dilations", new long[] {dw}) : Attribute.of("dilations", dh, dw));
            if (autoPad.equals("NOTSET")) attrs.add(oneD ? Attribute.of("pads", pads[1], pads[3]) : Attribute.of("pads", pads[0], pads[1], pads[2], pads[3]));
            else attrs.add(Attribute.of("auto_pad", autoPad));
            int[] ws = oneD ? new int[] {kOut, cg, kw} : new int[] {kOut, cg, kh, kw};
            String wn = g.init("w", Tensor.of(OpCheck.random(r, io.nnzip.ir.Shapes.numel(ws)), ws));
            String[] ins = bias ? new String[] {x, wn, g.init("b", OpCheck.random(r, kOut), kOut)} : new String[] {x, wn};
            g.output(g.rename(g.op("Conv", ins, attrs.toArray(Attribute[]::new)), "y"), DType.FLOAT);
            int[] xs = oneD ? new int[] {n, c, w} : new int[] {n, c, h, w};
            Tensor xt = Tensor.of(OpCheck.random(r, io.nnzip.ir.Shapes.numel(xs)), xs);
            OpCheck.matchesOrt(g.build(17), Map.of("x", xt), t % 2 == 0 ? ONE : TWO, "Conv case " + t + " " + attrs + " x=" + java.util.Arrays.toString(xs) + " w=" + java.util.Arrays.toString(ws));
        }
    }

    @Test
    void channelLaneShapes() {
        // K a multiple of 32, stride 1, taps > 16: the channel-lane direct conv (n, c, k, h=w, kernel, pad)
        SplittableRandom r = new SplittableRandom(13);
        int[][] cfg = {{3, 32, 64, 14, 3, 1}, {2, 64, 128, 7, 3, 1}, {2, 3, 32, 11, 5, 2}, {1, 6, 96, 9, 3, 0}, {4, 2, 32, 30, 3, 1}};
        for (int[] k : cfg) {
            GraphBuilder g = new GraphBuilder("conv");
            String x = g.input("x", DType.FLOAT, k[0], k[1], k[3], k[3]);
            String wn = g.init("w", Tensor.of(OpCheck.random(r, k[2] * k[1] * k[4] * k[4]), k[2], k[1], k[4], k[4]));
            String b = g.init("b", OpCheck.random(r, k[2]), k[2]);
            g.output(g.rename(g.op("Conv", new String[] {x, wn, b}, Attribute.of("pads", k[5], k[5], k[5], k[5])), "y"), DType.FLOAT);
            Tensor xt = Tensor.of(OpCheck.random(r, k[0] * k[1] * k[3] * k[3]), k[0], k[1], k[3], k[3]);
            OpCheck.matchesOrt(g.build(17), Map.of("x", xt), TWO, "Conv " + java.util.Arrays.toString(k));
            OpCheck.matchesOrt(g.build(17), Map.of("x", xt), ONE, "Conv " + java.util.Arrays.toString(k));
        }
    }

    @Test
    void convWideBatchAndPointwise() {
        // shapes that take the multi-image GEMM path (small planes, many images), the 1×1 path and wide single planes
        SplittableRandom r = new SplittableRandom(12);
        int[][] cfg = {{20, 8, 16, 7, 3, 1}, {9, 3, 5, 5, 1, 0}, {5, 16, 32, 14, 1, 0}, {7, 4, 6, 6, 3, 1}, {2, 64, 32, 9, 1, 0},
                {1, 8, 16, 36, 3, 1}, {1, 16, 8, 40, 1, 0}};
        for (int[] k : cfg) {
            GraphBuilder g = new GraphBuilder("conv");
            String x = g.input("x", DType.FLOAT, k[0], k[1], k[3], k[3]);
            String wn = g.init("w", Tensor.of(OpCheck.random(r, k[2] * k[1] * k[4] * k[4]), k[2], k[1], k[4], k[4]));
            String b = g.init("b", OpCheck.random(r, k[2]), k[2]);
            g.output(g.rename(g.op("Conv", new String[] {x, wn, b}, Attribute.of("pads", k[5], k[5], k[5], k[5])), "y"), DType.FLOAT);
            Tensor xt = Tensor.of(OpCheck.random(r, k[0] * k[1] * k[3] * k[3]), k[0], k[1], k[3], k[3]);
            OpCheck.matchesOrt(g.build(17), Map.of("x", xt), TWO, "Conv " + java.util.Arrays.toString(k));
            OpCheck.matchesOrt(g.build(17), Map.of("x", xt), ONE, "Conv " + java.util.Arrays.toString(k));
        }
    }

    @Test
    void mecLoweredShapes() {
        // large strided kernels whose im2col matrix would overflow the unfold budget: the engine lowers them with MEC
        // (n, c, k, h, w, kernel, stride, padTop, padLeft, padBottom, padRight)
        SplittableRandom r = new SplittableRandom(14);
        int[][] cfg = {{1, 3, 8, 96, 96, 7, 2, 3, 3, 3, 3}, {2, 16, 12, 64, 61, 5, 2, 2, 1, 1, 2}};
        for (int[] k : cfg) {
            io.nnzip.engine.kernels.ConvGeometry geo = new io.nnzip.engine.kernels.ConvGeometry(k[0], k[1], k[3], k[4], k[2], 1, k[5], k[5], k[6], k[6],
                    k[7], k[8], k[9], k[10], 1, 1);
            if (!io.nnzip.engine.kernels.Mec.pays(geo)) throw new AssertionError(geo + " should be lowered with MEC");
            GraphBuilder g = new GraphBuilder("conv");
            String x = g.input("x", DType.FLOAT, k[0], k[1], k[3], k[4]);
            String wn = g.init("w", Tensor.of(OpCheck.random(r, k[2] * k[1] * k[5] * k[5]), k[2], k[1], k[5], k[5]));
            String b = g.init("b", OpCheck.random(r, k[2]), k[2]);
            g.output(g.rename(g.op("Conv", new String[] {x, wn, b}, Attribute.of("strides", k[6], k[6]), Attribute.of("pads", k[7], k[8], k[9], k[10])), "y"),
                    DType.FLOAT);
            Tensor xt = Tensor.of(OpCheck.random(r, k[0] * k[1] * k[3] * k[4]), k[0], k[1], k[3], k[4]);
            OpCheck.matchesOrt(g.build(17), Map.of("x", xt), TWO, "Conv " + java.util.Arrays.toString(k));
            OpCheck.matchesOrt(g.build(17), Map.of("x", xt), ONE, "Conv " + java.util.Arrays.toString(k));
        }
    }

    @Test
    void convTransposeGrid() {
        SplittableRandom r = new SplittableRandom(13);
        for (int t = 0; t < 80; t++) {
            boolean oneD = r.nextInt(4) == 0;
            int n = 1 + r.nextInt(2), group = r.nextInt(3) == 0 ? 2 : 1, c = group * (1 + r.nextInt(3)), kg = 1 + r.nextInt(3);
            int h = oneD ? 1 : 2 + r.nextInt(6), w = 2 + r.nextInt(7);
            int kh = oneD ? 1 : 1 + r.nextInt(4), kw = 1 + r.nextInt(4);
            int sh = 1 + r.nextInt(3), sw = 1 + r.nextInt(3), dh = 1 + r.nextInt(2), dw = 1 + r.nextInt(2);
            // output_padding >= stride (legal when the dilation is larger) is left out: ORT misplaces those columns
            int oph = r.nextInt(sh), opw = r.nextInt(sw);
            int[] pads = {r.nextInt(kh), r.nextInt(kw), r.nextInt(kh), r.nextInt(kw)};
            if (sh * (h - 1) + oph + dh * (kh - 1) + 1 - pads[0] - pads[2] < 1 || sw * (w - 1) + opw + dw * (kw - 1) + 1 - pads[1] - pads[3] < 1) continue;
            boolean bias = r.nextBoolean();
            GraphBuilder g = new GraphBuilder("convt");
            String x = oneD ? g.input("x", DType.FLOAT, n, c, w) : g.input("x", DType.FLOAT, n, c, h, w);
            List<Attribute> attrs = new ArrayList<>();
            attrs.add(Attribute.of("group", (long) group));
            attrs.add(oneD ? Attribute.of("strides", new long[] {sw}) : Attribute.of("strides", sh, sw));
            attrs.add(oneD ? Attribute.of("dilations", new long[] {dw}) : Attribute.of("dilations", dh, dw));
            attrs.add(oneD ? Attribute.of("output_padding", new long[] {opw}) : Attribute.of("output_padding", oph, opw));
            attrs.add(oneD ? Attribute.of("pads", pads[1], pads[3]) : Attribute.of("pads", pads[0], pads[1], pads[2], pads[3]));
            int[] ws = oneD ? new int[] {c, kg, kw} : new int[] {c, kg, kh, kw};
            String wn = g.init("w", Tensor.of(OpCheck.random(r, io.nnzip.ir.Shapes.numel(ws)), ws));
            String[] ins = bias ? new String[] {x, wn, g.init("b", OpCheck.random(r, kg * group), kg * group)} : new String[] {x, wn};
            g.output(g.rename(g.op("ConvTranspose", ins, attrs.toArray(Attribute[]::new)), "y"), DType.FLOAT);
            int[] xs = oneD ? new int[] {n, c, w} : new int[] {n, c, h, w};
            Tensor xt = Tensor.of(OpCheck.random(r, io.nnzip.ir.Shapes.numel(xs)), xs);
            OpCheck.matchesOrt(g.build(17), Map.of("x", xt), t % 2 == 0 ? ONE : TWO, "ConvTranspose case " + t + " " + attrs + " x=" + java.util.Arrays.toString(xs) + " w=" + java.util.Arrays.toString(ws));
        }
    }
}
