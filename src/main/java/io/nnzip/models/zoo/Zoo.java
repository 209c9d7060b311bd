package io.nnzip.models.zoo;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;

/**
 * The four graph families users most often bring, as PyTorch's exporter writes them: ResNet (residual Add),
 * MobileNetV2 (depthwise, ReLU6, inverted residuals), SqueezeNet (Fire modules, Concat) and ShuffleNetV2
 * (Split, channel shuffle through Reshape/Transpose). {@code width} scales channels, {@code size} the input.
 */
public final class Zoo {
    private Zoo() {}

    public static Model build(String name, int size, double width, int classes, long seed) {
        return switch (name) {
            case "resnet18" -> resnet18(size, width, classes, seed);
            case "mobilenetv2" -> mobilenetV2(size, width, classes, seed);
            case "squeezenet" -> squeezenet(size, width, classes, seed);
            case "shufflenetv2" -> shufflenetV2(size, width, classes, seed);
            default -> throw new NnzipException("unknown zoo model '" + name + "' (resnet18, mobilenetv2, squeezenet, shufflenetv2)");
        };
    }

    static int ch(double c, double width) { return Math.max(4, (int) Math.round(c * width / 4) * 4); }

    public static Model resnet18(int size, double width, int classes, long seed) {
        TorchStyle t = new TorchStyle("resnet18", seed);
        String x = t.input(3, size, size);
        int c = ch(64, width);
        x = t.maxPool(t.relu(t.conv(x, 3, c, 7, 2, 3, 1)), 3, 2, 1, false);
        int[] widths = {ch(64, width), ch(128, width), ch(256, width), ch(512, width)};
        int cin = c;
        for (int stage = 0; stage < 4; stage++) {
            for (int blk = 0; blk < 2; blk++) {
                int stride = stage > 0 && blk == 0 ? 2 : 1;
                int cout = widths[stage];
                String y = t.relu(t.conv(x, cin, cout, 3, stride, 1, 1));
                y = t.conv(y, cout, cout, 3, 1, 1, 1);
                String shortcut = stride != 1 || cin != cout ? t.conv(x, cin, cout, 1, stride, 0, 1) : x;
                x = t.relu(t.add(y, shortcut));
                cin = cout;
            }
        }
        x = t.flatten(t.globalAvgPool(x));
        return t.finish(t.linear(x, cin, classes), classes);
    }

    public static Model mobilenetV2(int size, double width, int classes, long seed) {
        TorchStyle t = new TorchStyle("mobilenetv2", seed);
        String x = t.input(3, size, size);
        int cin = ch(32, width);
        x = t.relu6(t.conv(x, 3, cin, 3, 2, 1, 1));
        // (expansion, channels, repeats, stride) as in the MobileNetV2 paper's table
        int[][] cfg = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
        for (int[] row : cfg) {
            int cout = ch(row[1], width);
            for (int i = 0; i < row[2]; i++) {
                int stride = i == 0 ? row[3] : 1;
                int hidden = cin * row[0];
                String y = x;
                if (row[0] != 1) y = t.relu6(t.conv(y, cin, hidden, 1, 1, 0, 1));
                y = t.relu6(t.conv(y, hidden, hidden, 3, stride, 1, hidden));
                y = t.conv(y, hidden, cout, 1, 1, 0, 1);
                x = stride == 1 && cin == cout ? t.add(x, y) : y;
                cin = cout;
            }
        }
        int last = ch(1280, Math.max(1.0, width));
        x = t.relu6(t.conv(x, cin, last, 1, 1, 0, 1));
        x = t.meanHW(x);
        return t.finish(t.linear(x, last, classes), classes);
    }

    public static Model squeezenet(int size, double width, int classes, long seed) {
        TorchStyle t = new TorchStyle("squeezenet", seed);
        String x = t.input(3, size, size);
        int c = ch(64, width);
        x = t.maxPool(t.relu(t.conv(x, 3, c, 3, 2, 0, 1)), 3, 2, 0, true);
        int[][] fires = {{16, 64}, {16, 64}, {32, 128}, {32, 128}, {48, 192}, {48, 192}, {64, 256}, {64, 256}};
        for (int i = 0; i < fires.length; i++) {
            int s = ch(fires[i][0], width), e = ch(fires[i][1], width);
            String sq = t.relu(t.conv(x, c, s, 1, 1, 0, 1));
            String e1 = t.relu(t.conv(sq, s, e, 1, 1, 0, 1));
            String e3 = t.relu(t.conv(sq, s, e, 3, 1, 1, 1));
            x = t.concat(1, e1, e3);
            c = 2 * e;
            if (i == 1 || i == 3) x = t.maxPool(x, 3, 2, 0, true);
        }
        x = t.relu(t.conv(x, c, classes, 1, 1, 0, 1));
        x = t.viewBatchFlat(t.globalAvgPool(x));
        return t.finish(x, classes);
    }

    public static Model shufflenetV2(int size, double width, int classes, long seed) {
        TorchStyle t = new TorchStyle("shufflenetv2", seed);
        String x = t.input(3, size, size);
        int c = ch(24, width);
        x = t.maxPool(t.relu(t.conv(x, 3, c, 3, 2, 1, 1)), 3, 2, 1, false);
        int h = outSize(outSize(size, 3, 2, 1), 3, 2, 1);
        int[] stages = {ch(116, width), ch(232, width), ch(464, width)};
        int[] repeats = {4, 8, 4};
        for (int s = 0; s < 3; s++) {
            int out = stages[s], half = out / 2;
            for (int r = 0; r < repeats[s]; r++) {
                String y;
                if (r == 0) {
                    String b1 = t.relu(t.conv(t.conv(x, c, c, 3, 2, 1, c), c, half, 1, 1, 0, 1));
                    String b2 = t.relu(t.conv(x, c, half, 1, 1, 0, 1));
                    b2 = t.relu(t.conv(t.conv(b2, half, half, 3, 2, 1, half), half, half, 1, 1, 0, 1));
                    h = outSize(h, 3, 2, 1);
                    y = t.concat(1, b1, b2);
                } else {
                    String[] parts = t.chunk2(x, out);
                    String b2 = t.relu(t.conv(parts[1], half, half, 1, 1, 0, 1));
                    b2 = t.relu(t.conv(t.conv(b2, half, half, 3, 1, 1, half), half, half, 1, 1, 0, 1));
                    y = t.concat(1, parts[0], b2);
                }
                x = t.channelShuffle(y, out, h, h, 2);
                c = out;
            }
        }
        int last = ch(1024, Math.max(1.0, width));
        x = t.relu(t.conv(x, c, last, 1, 1, 0, 1));
        x = t.meanHW(x);
        return t.finish(t.linear(x, last, classes), classes);
    }

    static int outSize(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }
}
