package io.nnzip.lowrank;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.util.linalg.Matrix;
import io.nnzip.util.linalg.Svd;
import java.util.List;

/**
 * Spatial separation (Jaderberg, Vedaldi and Zisserman 2014, scheme 2): a k_h×k_w convolution becomes a k_h×1
 * convolution into R channels followed by a 1×k_w convolution. Arranging the kernel as the (C·k_h)×(K·k_w) matrix
 * M[(c,i),(n,j)] = W[n,c,i,j] makes the pair's kernel exactly a rank-R factorization of M, so the truncated SVD
 * of M is the optimal pair and the kernel error is √(Σ_{i≥R} s_i²).
 * <pre>x: (N,C,H,W) -> v: (N,R,P,W) [R×C×k_h×1, stride (s_h,1)] -> y: (N,K,P,Q) [K×R×1×k_w, stride (1,s_w)]</pre>
 */
public final class SpatialConvFactorizer implements LayerFactorizer {
    final ConvSite site;
    final Matrix m;
    final Svd svd;

    public SpatialConvFactorizer(ConvSite site) {
        this.site = site;
        int k = site.k(), c = site.c(), r = site.r(), s = site.s();
        m = new Matrix(c * r, k * s);
        float[] w = site.w();
        for (int n = 0; n < k; n++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < r; i++)
                    for (int j = 0; j < s; j++) m.set(ch * r + i, n * s + j, w[((n * c + ch) * r + i) * s + j]);
        svd = Svd.of(m);
    }

    @Override public String layer() { return site.baseName(); }

    @Override public String op() { return "Conv"; }

    @Override public long originalMacs() { return site.macs(); }

    @Override public long originalParams() { return site.params(); }

    long macsPerRank() { return (long) site.c() * site.r() * site.p() * site.wIn() + (long) site.k() * site.s() * site.p() * site.q(); }

    Choice choice(int rank) {
        int rr = Math.max(1, Math.min(rank, Math.min(m.rows, m.cols)));
        return new Choice(new int[] {rr}, rr * macsPerRank(), (long) rr * (site.c() * site.r() + site.k() * site.s()),
                Math.sqrt(svd.tailEnergy(rr) / Math.max(svd.totalEnergy(), 1e-300)));
    }

    @Override public Choice forRank(int rank) { return choice(rank); }

    @Override public Choice forEnergy(double energy) { return choice(svd.rankForEnergy(energy)); }

    @Override public Choice forMacFraction(double f) { return choice((int) Math.floor(f * site.macs() / macsPerRank())); }

    public Choice forVbmf() { return choice(Vbmf.rank(svd.s, m.rows, m.cols, svd.totalEnergy())); }

    @Override
    public double apply(Graph g, Choice ch) {
        int rank = ch.ranks()[0], k = site.k(), c = site.c(), r = site.r(), s = site.s();
        float[] v = new float[rank * c * r], h = new float[k * rank * s];
        for (int t = 0; t < rank; t++) {
            double rs = Math.sqrt(svd.s[t]);
            for (int row = 0; row < c * r; row++) v[t * c * r + row] = (float) (svd.u.get(row, t) * rs);
            for (int n = 0; n < k; n++)
                for (int j = 0; j < s; j++) h[(n * rank + t) * s + j] = (float) (svd.v.get(n * s + j, t) * rs);
        }
        GraphRewrites.Names names = new GraphRewrites.Names(g, site.baseName());
        String wv = GraphRewrites.addWeight(g, names.next("vertical.weight"), Tensor.of(v, rank, c, r, 1));
        String wh = GraphRewrites.addWeight(g, names.next("horizontal.weight"), Tensor.of(h, k, rank, 1, s));
        String mid = names.next("vertical");
        long[] st = site.strides(), pd = site.pads(), dl = site.dilations();
        Node n = site.node();
        Node first = GraphRewrites.conv(names.next("vertical"), n.input(0), wv, null, mid, r, 1, new long[] {st[0], 1},
                new long[] {pd[0], 0, pd[2], 0}, new long[] {dl[0], 1}, 1);
        Node second = GraphRewrites.conv(names.next("horizontal"), mid, wh, site.biasName(), n.output(0), 1, s, new long[] {1, st[1]},
                new long[] {0, pd[1], 0, pd[3]}, new long[] {1, dl[1]}, 1);
        GraphRewrites.replace(g, n, List.of(first, second));
        // the kernel the pair computes: Σ_t v[t,c,i]·h[n,t,j]
        Matrix mv = new Matrix(c * r, rank), mh = new Matrix(rank, k * s);
        for (int t = 0; t < rank; t++) {
            for (int row = 0; row < c * r; row++) mv.set(row, t, v[t * c * r + row]);
            for (int nn = 0; nn < k; nn++) for (int j = 0; j < s; j++) mh.set(t, nn * s + j, h[(nn * rank + t) * s + j]);
        }
        return mv.times(mh).minus(m).frobenius() / Math.max(m.frobenius(), 1e-300);
    }
}
