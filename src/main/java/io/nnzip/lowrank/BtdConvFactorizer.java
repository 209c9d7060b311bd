package io.nnzip.lowrank;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.util.linalg.Svd;
import java.util.ArrayList;
import java.util.List;

/**
 * Block-term decomposition of a convolution kernel (De Lathauwer 2008; for CNNs Wang &amp; Cheng 2016): a sum of
 * B Tucker-2 blocks, W ≈ Σ_b G_b ×₀ U_b ×₁ V_b with rank r on both channel modes of each block. In the graph the
 * blocks run side by side: a 1×1 convolution C→B·r (the V_b stacked), the cores as one grouped k_h×k_w convolution
 * with B groups, and a 1×1 convolution B·r→K (the U_b stacked) that also sums the blocks and carries the bias.
 * At the same 1×1 widths the core costs 1/B of Tucker's r·B-rank core. Blocks are fitted by back-fitting: the
 * first greedily to the residual of those before it, then each in turn re-fitted (HOSVD + HOOI) to the kernel
 * minus all other blocks; the best sum seen is kept.
 * <pre>x: (N,C,H,W) -> (N,B·r,H,W) -> grouped (N,B·r,P,Q) -> y: (N,K,P,Q)</pre>
 */
public final class BtdConvFactorizer implements LayerFactorizer {
    final ConvSite site;
    final double[] w;
    final int blocks, sweeps, hooiSweeps;
    final Svd outMode;

    public BtdConvFactorizer(ConvSite site, int blocks, int sweeps, int hooiSweeps) {
        this.site = site;
        this.blocks = blocks;
        this.sweeps = sweeps;
        this.hooiSweeps = hooiSweeps;
        float[] f = site.w();
        w = new double[f.length];
        for (int i = 0; i < f.length; i++) w[i] = f[i];
        outMode = Svd.of(Tucker2.unfoldOut(w, site.k(), site.c(), site.r() * site.s()));
    }

    @Override public String layer() { return site.baseName(); }

    @Override public String op() { return "Conv"; }

    @Override public long originalMacs() { return site.macs(); }

    @Override public long originalParams() { return site.params(); }

    int maxRank() { return Math.min(site.k(), site.c()); }

    Choice choice(int r) {
        r = Math.max(1, Math.min(r, maxRank()));
        long br = (long) blocks * r, rs = (long) site.r() * site.s(), pq = (long) site.p() * site.q(), hw = (long) site.h() * site.wIn();
        long params = site.c() * br + br * r * rs + site.k() * br;
        long macs = site.c() * br * hw + br * r * rs * pq + site.k() * br * pq;
        // before fitting, the output-mode spectrum beyond B·r bounds what any sum of B rank-r blocks can reach
        double bound = Math.sqrt(outMode.tailEnergy((int) Math.min(br, site.k())) / Math.max(outMode.totalEnergy(), 1e-300));
        return new Choice(new int[] {blocks, r}, macs, params, bound);
    }

    @Override public Choice forRank(int rank) { return choice(rank); }

    /** Each block gets 1/B of the output-mode rank that keeps {@code energy}. */
    @Override public Choice forEnergy(double energy) { return choice((outMode.rankForEnergy(energy) + blocks - 1) / blocks); }

    @Override
    public Choice forMacFraction(double f) {
        Choice best = choice(1);
        for (int r = 2; r <= maxRank(); r++) {
            Choice c = choice(r);
            if (c.macs() > f * site.macs()) break;
            best = c;
        }
        return best;
    }

    /** The fitted blocks, each a Tucker-2 of rank (r, r). */
    public List<Tucker2> decompose(int r) {
        int k = site.k(), c = site.c(), rs = site.r() * site.s();
        List<Tucker2> bs = new ArrayList<>();
        double[] res = w.clone();
        for (int b = 0; b < blocks; b++) {
            Tucker2 t = Tucker2.of(res, k, c, rs, r, r, hooiSweeps);
            subtract(res, t.reconstruct(rs));
            bs.add(t);
        }
        List<Tucker2> best = List.copyOf(bs);
        double bestErr = norm2(res);
        for (int s = 0; s < sweeps && blocks > 1; s++) {
            for (int b = 0; b < blocks; b++) {
                add(res, bs.get(b).reconstruct(rs));
                Tucker2 t = Tucker2.of(res, k, c, rs, r, r, hooiSweeps);
                subtract(res, t.reconstruct(rs));
                bs.set(b, t);
            }
            double e = norm2(res);
            if (e < bestErr) {
                bestErr = e;
                best = List.copyOf(bs);
            }
        }
        return best;
    }

    private static void subtract(double[] a, double[] b) { for (int i = 0; i < a.length; i++) a[i] -= b[i]; }

    private static void add(double[] a, double[] b) { for (int i = 0; i < a.length; i++) a[i] += b[i]; }

    private static double norm2(double[] a) {
        double s = 0;
        for (double x : a) s += x * x;
        return s;
    }

    @Override
    public double apply(Graph g, Choice ch) {
        int r = ch.ranks()[1], k = site.k(), c = site.c(), kh = site.r(), kw = site.s(), rs = kh * kw;
        List<Tucker2> bs = decompose(r);
        int nb = bs.size();
        // a block's factor can be narrower than r when the layer has fewer channels; pad with zeros to r
        float[] first = new float[nb * r * c], core = new float[nb * r * r * rs], last = new float[k * nb * r];
        double[] sum = new double[w.length];
        for (int b = 0; b < nb; b++) {
            Tucker2 t = bs.get(b);
            for (int j = 0; j < t.uIn.cols; j++) for (int ci = 0; ci < c; ci++) first[(b * r + j) * c + ci] = (float) t.uIn.get(ci, j);
            for (int a = 0; a < t.uOut.cols; a++)
                for (int j = 0; j < t.uIn.cols; j++)
                    for (int x = 0; x < rs; x++) core[((b * r + a) * r + j) * rs + x] = (float) t.core[(a * t.uIn.cols + j) * rs + x];
            for (int n = 0; n < k; n++) for (int a = 0; a < t.uOut.cols; a++) last[n * nb * r + b * r + a] = (float) t.uOut.get(n, a);
            add(sum, t.reconstruct(rs));
        }
        GraphRewrites.Names names = new GraphRewrites.Names(g, site.baseName());
        Node n = site.node();
        String w1 = GraphRewrites.addWeight(g, names.next("btd_in.weight"), Tensor.of(first, nb * r, c, 1, 1));
        String w2 = GraphRewrites.addWeight(g, names.next("btd_core.weight"), Tensor.of(core, nb * r, r, kh, kw));
        String w3 = GraphRewrites.addWeight(g, names.next("btd_out.weight"), Tensor.of(last, k, nb * r, 1, 1));
        String y1 = names.next("btd_in"), y2 = names.next("btd_core");
        GraphRewrites.replace(g, n, List.of(
                GraphRewrites.pointwise(names.next("btd_in"), n.input(0), w1, null, y1),
                GraphRewrites.conv(names.next("btd_core"), y1, w2, null, y2, kh, kw, site.strides(), site.pads(), site.dilations(), nb),
                GraphRewrites.pointwise(names.next("btd_out"), y2, w3, site.biasName(), n.output(0))));
        return TuckerConvFactorizer.relativeError(sum, w);
    }
}
