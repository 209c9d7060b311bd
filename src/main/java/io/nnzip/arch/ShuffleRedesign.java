package io.nnzip.arch;

import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.ConvSite;
import io.nnzip.lowrank.GraphRewrites;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * ShuffleNet-style redesign (Zhang et al., CVPR 2018): each standard R×S convolution C → K becomes ShuffleNet's
 * bottleneck unit without the shortcut (the unit stands in for one layer):
 * <pre>
 * x (N,C,H,W) → 1×1 conv C → M, G groups → ReLU → channel shuffle → R×S depthwise conv on M channels (the layer's
 *   strides, pads, dilations) → 1×1 conv M → K, G groups (+ the layer's bias) → y (N,K,P,Q)
 * </pre>
 * M = width·K rounded up to a multiple of G. MACs: C·M/G·H·W + M·R·S·P·Q + M·K/G·P·Q instead of K·C·R·S·P·Q.
 * The shuffle is Reshape/Transpose/Reshape, so the file is standard ONNX and training runs through it. New weights
 * start random (He / LeCun uniform from the seed): fine-tuning ({@code --finetune}) trains them.
 */
public final class ShuffleRedesign {
    private ShuffleRedesign() {}

    public static DepthwiseSeparableRedesign.Result run(Model input, ShuffleConfig cfg) { return run(input, cfg, null); }

    /**
     * @param calib calibration inputs for the model's first input (N,...): each new block is then fitted, in layer
     *     order, to the original layer's outputs ({@link BlockFit}); null = random start only
     */
    public static DepthwiseSeparableRedesign.Result run(Model input, ShuffleConfig cfg, Tensor calib) {
        int gr = cfg.groups();
        return FittedBlocks.run(input, calib, cfg.layers(), cfg.minInputChannels(), cfg.fitSteps(), cfg.seed(), cfg.describe(), ShuffleConfig.FIELDS,
                new FittedBlocks.Block() {
                    @Override
                    public String keep(ConvSite s) {
                        return s.c() % gr == 0 && s.k() % gr == 0 ? null : s.c() + " → " + s.k() + " channels do not split into " + gr + " groups";
                    }

                    @Override
                    public List<Node> rewrite(Graph g, ConvSite s, SplittableRandom rnd) { return ShuffleRedesign.rewrite(g, s, middle(s.k(), gr, cfg.width()), gr, rnd); }

                    @Override
                    public long macs(ConvSite s) { return ShuffleRedesign.macs(s, middle(s.k(), gr, cfg.width()), gr); }

                    @Override
                    public long params(ConvSite s) {
                        int mid = middle(s.k(), gr, cfg.width());
                        return (long) s.c() / gr * mid + (long) mid * s.r() * s.s() + (long) mid / gr * s.k();
                    }
                });
    }

    /** Middle channels: width·K rounded up to a multiple of the groups. */
    static int middle(int k, int groups, float width) {
        int m = Math.max(1, Math.round(k * width));
        return (m + groups - 1) / groups * groups;
    }

    /** MACs of the unit per image (the layer's multiply-adds counted as ModelStats counts convolutions). */
    static long macs(ConvSite s, int mid, int groups) {
        return (long) s.c() / groups * mid * s.h() * s.wIn() + (long) mid * s.r() * s.s() * s.p() * s.q() + (long) mid / groups * s.k() * s.p() * s.q();
    }

    private static List<Node> rewrite(Graph g, ConvSite s, int mid, int groups, SplittableRandom rnd) {
        GraphRewrites.Names names = new GraphRewrites.Names(g, s.baseName());
        int cg = s.c() / groups, mg = mid / groups, k = s.k();
        String w1 = GraphRewrites.addWeight(g, names.next("gconv1.weight"), Tensor.of(CompactBlocks.uniform(rnd, mid * cg, cg, 6), mid, cg, 1, 1));
        String b1 = GraphRewrites.addWeight(g, names.next("gconv1.bias"), Tensor.of(new float[mid], mid));
        String dw = GraphRewrites.addWeight(g, names.next("depthwise.weight"),
                Tensor.of(CompactBlocks.uniform(rnd, mid * s.r() * s.s(), s.r() * s.s(), 3), mid, 1, s.r(), s.s()));
        String w2 = GraphRewrites.addWeight(g, names.next("gconv2.weight"), Tensor.of(CompactBlocks.uniform(rnd, k * mg, mg, 3), k, mg, 1, 1));
        float[] bias = s.biasName() == null ? new float[k] : g.initializer(s.biasName()).toFloats().clone();
        String b2 = GraphRewrites.addWeight(g, names.next("gconv2.bias"), Tensor.of(bias, k));
        String a = names.next("gconv1"), ar = names.next("relu"), sh = names.next("shuffled"), d = names.next("depthwise");
        Node n = s.node();
        List<Node> chain = new ArrayList<>();
        chain.add(GraphRewrites.conv(names.next("gconv1"), n.input(0), w1, b1, a, 1, 1, new long[] {1, 1}, new long[4], new long[] {1, 1}, groups));
        chain.add(new Node(names.next("relu"), "Relu", List.of(a), List.of(ar)));
        if (groups > 1) chain.addAll(CompactBlocks.channelShuffle(g, names, ar, sh, mid, groups, s.h(), s.wIn()));
        else sh = ar;
        chain.add(GraphRewrites.conv(names.next("depthwise"), sh, dw, null, d, s.r(), s.s(), s.strides(), s.pads(), s.dilations(), mid));
        chain.add(GraphRewrites.conv(names.next("gconv2"), d, w2, b2, n.output(0), 1, 1, new long[] {1, 1}, new long[4], new long[] {1, 1}, groups));
        GraphRewrites.replace(g, n, chain);
        return chain;
    }
}
