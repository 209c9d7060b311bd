package io.nnzip.arch;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.ConvSite;
import io.nnzip.lowrank.GraphRewrites;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * SqueezeNet-style redesign (Iandola et al. 2016): each standard R×S convolution C → K becomes a fire module
 * <pre>
 * x (N,C,H,W) → squeeze 1×1 conv C → S → ReLU ─┬→ expand 1×1 conv S → K1 (the layer's strides)            ─┐
 *                                              └→ expand R×S conv S → K3 (the layer's strides, pads, dilations) ┴→ Concat (channels) → y (N,K,P,Q)
 * </pre>
 * S = squeeze_ratio·K, K3 = expand3_share·K, K1 = K − K3; the layer's bias is split over the two branches.
 * MACs: C·S·H·W + S·K1·P·Q + S·K3·R·S·P·Q. Layers whose 1×1 branch would not give the layer's output size (a
 * padding that enlarges the output) are kept. New weights start random (He / LeCun uniform from the seed).
 */
public final class FireRedesign {
    private FireRedesign() {}

    public static DepthwiseSeparableRedesign.Result run(Model input, FireConfig cfg) { return run(input, cfg, null); }

    /**
     * @param calib calibration inputs for the model's first input (N,...): each new block is then fitted, in layer
     *     order, to the original layer's outputs ({@link BlockFit}); null = random start only
     */
    public static DepthwiseSeparableRedesign.Result run(Model input, FireConfig cfg, Tensor calib) {
        return FittedBlocks.run(input, calib, cfg.layers(), cfg.minInputChannels(), cfg.fitSteps(), cfg.seed(), cfg.describe(), FireConfig.FIELDS,
                new FittedBlocks.Block() {
                    int sq(ConvSite s) { return squeeze(s.k(), cfg.squeezeRatio()); }

                    int k3(ConvSite s) { return expand3(s.k(), cfg.expand3Share()); }

                    @Override
                    public String keep(ConvSite s) {
                        boolean sameSize = (s.h() - 1) / s.strides()[0] + 1 == s.p() && (s.wIn() - 1) / s.strides()[1] + 1 == s.q();
                        return sameSize ? null : "a 1x1 expand branch would not give the " + s.p() + "x" + s.q() + " output";
                    }

                    @Override
                    public List<Node> rewrite(Graph g, ConvSite s, SplittableRandom rnd) { return FireRedesign.rewrite(g, s, sq(s), s.k() - k3(s), k3(s), rnd); }

                    @Override
                    public long macs(ConvSite s) { return FireRedesign.macs(s, sq(s), s.k() - k3(s), k3(s)); }

                    @Override
                    public long params(ConvSite s) { return (long) s.c() * sq(s) + (long) sq(s) * (s.k() - k3(s)) + (long) sq(s) * k3(s) * s.r() * s.s(); }
                });
    }

    static int squeeze(int k, float ratio) { return Math.max(1, Math.round(k * ratio)); }

    static int expand3(int k, float share) { return Math.clamp(Math.round(k * share), 1, k - 1); }

    static long macs(ConvSite s, int sq, int k1, int k3) {
        return (long) s.c() * sq * s.h() * s.wIn() + (long) sq * k1 * s.p() * s.q() + (long) sq * k3 * s.r() * s.s() * s.p() * s.q();
    }

    private static List<Node> rewrite(Graph g, ConvSite s, int sq, int k1, int k3, SplittableRandom rnd) {
        GraphRewrites.Names names = new GraphRewrites.Names(g, s.baseName());
        int rs = s.r() * s.s();
        float[] bias = s.biasName() == null ? new float[s.k()] : g.initializer(s.biasName()).toFloats();
        String ws = GraphRewrites.addWeight(g, names.next("squeeze.weight"), Tensor.of(CompactBlocks.uniform(rnd, sq * s.c(), s.c(), 6), sq, s.c(), 1, 1));
        String bs = GraphRewrites.addWeight(g, names.next("squeeze.bias"), Tensor.of(new float[sq], sq));
        String w1 = GraphRewrites.addWeight(g, names.next("expand1.weight"), Tensor.of(CompactBlocks.uniform(rnd, k1 * sq, sq, 3), k1, sq, 1, 1));
        String b1 = GraphRewrites.addWeight(g, names.next("expand1.bias"), Tensor.of(Arrays.copyOfRange(bias, 0, k1), k1));
        String w3 = GraphRewrites.addWeight(g, names.next("expand3.weight"), Tensor.of(CompactBlocks.uniform(rnd, k3 * sq * rs, sq * rs, 3), k3, sq, s.r(), s.s()));
        String b3 = GraphRewrites.addWeight(g, names.next("expand3.bias"), Tensor.of(Arrays.copyOfRange(bias, k1, s.k()), k3));
        String a = names.next("squeeze"), ar = names.next("squeeze_relu"), e1 = names.next("expand1"), e3 = names.next("expand3");
        Node n = s.node();
        Node cat = new Node(names.next("concat"), "Concat", List.of(e1, e3), List.of(n.output(0)));
        cat.set(Attribute.of("axis", 1L));
        List<Node> chain = List.of(
                GraphRewrites.pointwise(names.next("squeeze"), n.input(0), ws, bs, a),
                new Node(names.next("squeeze_relu"), "Relu", List.of(a), List.of(ar)),
                GraphRewrites.conv(names.next("expand1"), ar, w1, b1, e1, 1, 1, s.strides(), new long[4], new long[] {1, 1}, 1),
                GraphRewrites.conv(names.next("expand3"), ar, w3, b3, e3, s.r(), s.s(), s.strides(), s.pads(), s.dilations(), 1),
                cat);
        GraphRewrites.replace(g, n, chain);
        return chain;
    }
}
