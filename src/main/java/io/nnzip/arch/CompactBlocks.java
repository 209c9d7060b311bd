package io.nnzip.arch;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.GraphRewrites;
import java.util.List;
import java.util.SplittableRandom;

/** Pieces the ShuffleNet- and SqueezeNet-style redesigns share: fresh weights and the channel shuffle as standard ONNX. */
final class CompactBlocks {
    private CompactBlocks() {}

    /** Uniform in ±sqrt(gain / fanIn): gain 6 (He) before a ReLU, 3 (LeCun) before a linear output. */
    static float[] uniform(SplittableRandom rnd, int n, int fanIn, double gain) {
        double bound = Math.sqrt(gain / fanIn);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        return w;
    }

    /**
     * ShuffleNet's channel shuffle of an (N, C, H, W) value with C = groups·m, as the three standard ops PyTorch
     * exports for it: Reshape (N, groups, m, H·W) → Transpose (0, 2, 1, 3) → Reshape (N, C, H, W). Output channel
     * j·groups + i is input channel i·m + j, so each group of the next grouped convolution reads from every group.
     */
    static List<Node> channelShuffle(Graph g, GraphRewrites.Names names, String x, String y, int channels, int groups, int h, int w) {
        String s1 = GraphRewrites.addWeight(g, names.next("shuffle.split_shape"), Tensor.vector(0, groups, channels / groups, -1));
        String s2 = GraphRewrites.addWeight(g, names.next("shuffle.merge_shape"), Tensor.vector(0, channels, h, w));
        String a = names.next("shuffle.split"), b = names.next("shuffle.transposed");
        Node t = new Node(names.next("shuffle.transpose"), "Transpose", List.of(a), List.of(b));
        t.set(Attribute.of("perm", 0L, 2L, 1L, 3L));
        return List.of(new Node(names.next("shuffle.reshape"), "Reshape", List.of(x, s1), List.of(a)), t,
                new Node(names.next("shuffle.merge"), "Reshape", List.of(b, s2), List.of(y)));
    }
}
