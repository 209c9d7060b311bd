package io.nnzip.lowrank;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.util.linalg.Svd;
import java.util.ArrayList;
import java.util.List;

/**
 * Tucker-2 on a convolution's channel modes (Kim et al. 2016): a 1×1 convolution C→r_in, the k_h×k_w core
 * r_in→r_out with the original stride, padding and dilation, and a 1×1 convolution r_out→K carrying the bias.
 * A mode kept at full rank drops its 1×1 convolution (its factor is folded into the core). Ranks come from each
 * mode unfolding's spectrum (energy), from VBMF, or a fixed rank. The HOSVD error bound √(tail_out + tail_in)
 * is the predicted error; the measured error after HOOI is never larger.
 * <pre>x: (N,C,H,W) -> (N,r_in,H,W) -> (N,r_out,P,Q) -> y: (N,K,P,Q)</pre>
 */
public final class TuckerConvFactorizer implements LayerFactorizer {
    final ConvSite site;
    final double[] w;
    final Svd outMode, inMode;
    final int hooiSweeps;

    public TuckerConvFactorizer(ConvSite site, int hooiSweeps) {
        this.site = site;
        this.hooiSweeps = hooiSweeps;
        float[] f = site.w();
        w = new double[f.length];
        for (int i = 0; i < f.length; i++) w[i] = f[i];
        int rs = site.r() * site.s();
        outMode = Svd.of(Tucker2.unfoldOut(w, site.k(), site.c(), rs));
        inMode = Svd.of(Tucker2.unfoldIn(w, site.k(), site.c(), rs));
    }

    @Override public String layer() { return site.baseName(); }

    @Override public String op() { return "Conv"; }

    @Override public long originalMacs() { return site.macs(); }

    @Override public long originalParams() { return site.params(); }

    long[] cost(int rOut, int rIn) {
        int k = site.k(), c = site.c(), rs = site.r() * site.s();
        long pq = (long) site.p() * site.q(), hw = (long) site.h() * site.wIn();
        long macs = (long) rOut * rIn * rs * pq, params = (long) rOut * rIn * rs;
        if (rIn < c) {
            macs += (long) c * rIn * hw;
            params += (long) c * rIn;
        }
        if (rOut < k) {
            macs += (long) k * rOut * pq;
            params += (long) k * rOut;
        }
        return new long[] {macs, params};
    }

    Choice choice(int rOut, int rIn) {
        rOut = Math.max(1, Math.min(rOut, site.k()));
        rIn = Math.max(1, Math.min(rIn, site.c()));
        long[] cp = cost(rOut, rIn);
        double total = Math.max(outMode.totalEnergy(), 1e-300);
        double bound = Math.sqrt(Math.min(1, (outMode.tailEnergy(rOut) + inMode.tailEnergy(rIn)) / total));
        return new Choice(new int[] {rOut, rIn}, cp[0], cp[1], bound);
    }

    @Override public Choice forRank(int rank) { return choice(rank, rank); }

    @Override public Choice forEnergy(double e) { return choice(outMode.rankForEnergy(e), inMode.rankForEnergy(e)); }

    /** Ranks proportional to the channel counts (r_out/K = r_in/C), the largest whose MACs fit. */
    @Override
    public Choice forMacFraction(double f) {
        Choice best = choice(1, 1);
        for (int ro = 1; ro <= site.k(); ro++) {
            int ri = Math.max(1, (int) Math.round((double) ro * site.c() / site.k()));
            Choice c = choice(ro, ri);
            if (c.macs() <= f * site.macs()) best = c;
        }
        return best;
    }

    public Choice forVbmf() {
        int rs = site.r() * site.s();
        int rOut = Vbmf.rank(outMode.s, site.k(), site.c() * rs, outMode.totalEnergy());
        int rIn = Vbmf.rank(inMode.s, site.c(), site.k() * rs, inMode.totalEnergy());
        return choice(rOut, rIn);
    }

    public Tucker2 decompose(Choice ch) {
        return Tucker2.of(w, site.k(), site.c(), site.r() * site.s(), ch.ranks()[0], ch.ranks()[1], hooiSweeps);
    }

    @Override
    public double apply(Graph g, Choice ch) {
        int rOut = ch.ranks()[0], rIn = ch.ranks()[1], k = site.k(), c = site.c(), r = site.r(), s = site.s();
        Tucker2 t = decompose(ch);
        boolean projIn = rIn < c, projOut = rOut < k;
        // a full-rank mode has an identity factor; its core already is the kernel along that mode
        GraphRewrites.Names names = new GraphRewrites.Names(g, site.baseName());
        Node n = site.node();
        List<Node> chain = new ArrayList<>();
        String x = n.input(0);
        if (projIn) {
            float[] first = new float[rIn * c];
            for (int b = 0; b < rIn; b++) for (int ch0 = 0; ch0 < c; ch0++) first[b * c + ch0] = (float) t.uIn.get(ch0, b);
            String wn = GraphRewrites.addWeight(g, names.next("tucker_in.weight"), Tensor.of(first, rIn, c, 1, 1));
            String y = names.next("tucker_in");
            chain.add(GraphRewrites.pointwise(names.next("tucker_in"), x, wn, null, y));
            x = y;
        }
        float[] core = new float[t.core.length];
        for (int i = 0; i < core.length; i++) core[i] = (float) t.core[i];
        String coreW = GraphRewrites.addWeight(g, names.next("tucker_core.weight"), Tensor.of(core, t.uOut.cols, t.uIn.cols, r, s));
        String coreY = projOut ? names.next("tucker_core") : n.output(0);
        chain.add(GraphRewrites.conv(names.next("tucker_core"), x, coreW, projOut ? null : site.biasName(), coreY, r, s,
                site.strides(), site.pads(), site.dilations(), 1));
        if (projOut) {
            float[] last = new float[k * rOut];
            for (int i = 0; i < last.length; i++) last[i] = (float) t.uOut.a[i];
            String wn = GraphRewrites.addWeight(g, names.next("tucker_out.weight"), Tensor.of(last, k, rOut, 1, 1));
            chain.add(GraphRewrites.pointwise(names.next("tucker_out"), coreY, wn, site.biasName(), n.output(0)));
        }
        GraphRewrites.replace(g, n, chain);
        return relativeError(t.reconstruct(r * s), w);
    }

    static double relativeError(double[] approx, double[] w) {
        double e = 0, n = 0;
        for (int i = 0; i < w.length; i++) {
            e += (approx[i] - w[i]) * (approx[i] - w[i]);
            n += w[i] * w[i];
        }
        return Math.sqrt(e / Math.max(n, 1e-300));
    }
}
