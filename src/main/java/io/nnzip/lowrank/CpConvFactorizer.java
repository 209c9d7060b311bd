package io.nnzip.lowrank;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CP decomposition of a convolution (Lebedev et al. 2015): with W ≈ Σ_q A[n,q]·B[c,q]·Y[i,q]·X[j,q] the layer
 * becomes a 1×1 convolution C→R (B), a depthwise k_h×1 convolution (Y) carrying the vertical stride and padding,
 * a depthwise 1×k_w convolution (X) carrying the horizontal ones, and a 1×1 convolution R→K (A) with the bias.
 * There is no closed-form spectrum, so energy targets search the rank by bisection over ALS fits (cached).
 * <pre>x: (N,C,H,W) -> (N,R,H,W) -> (N,R,P,W) -> (N,R,P,Q) -> y: (N,K,P,Q)</pre>
 */
public final class CpConvFactorizer implements LayerFactorizer {
    final ConvSite site;
    final double[] w;
    final int[] dims;
    final int maxIter;
    final long seed;
    private final Map<Integer, CpAls> cache = new HashMap<>();

    public CpConvFactorizer(ConvSite site, int maxIter, long seed) {
        this.site = site;
        this.maxIter = maxIter;
        this.seed = seed;
        float[] f = site.w();
        w = new double[f.length];
        for (int i = 0; i < f.length; i++) w[i] = f[i];
        dims = new int[] {site.k(), site.c(), site.r(), site.s()};
    }

    @Override public String layer() { return site.baseName(); }

    @Override public String op() { return "Conv"; }

    @Override public long originalMacs() { return site.macs(); }

    @Override public long originalParams() { return site.params(); }

    long macsPerRank() {
        return (long) site.c() * site.h() * site.wIn() + (long) site.r() * site.p() * site.wIn()
                + (long) site.s() * site.p() * site.q() + (long) site.k() * site.p() * site.q();
    }

    long paramsPerRank() { return site.c() + site.r() + site.s() + site.k(); }

    /** Beyond this rank the factorized layer costs as much as the original. */
    int maxUsefulRank() { return (int) Math.max(1, Math.min(site.macs() / macsPerRank(), site.params() / paramsPerRank())); }

    public CpAls decompose(int rank) { return cache.computeIfAbsent(rank, r -> CpAls.of(w, dims, r, maxIter, 1e-7, seed)); }

    Choice choice(int rank, boolean fit) {
        rank = Math.max(1, rank);
        return new Choice(new int[] {rank}, rank * macsPerRank(), rank * paramsPerRank(), fit ? decompose(rank).relativeError : Double.NaN);
    }

    @Override public Choice forRank(int rank) { return choice(rank, true); }

    /** Smallest rank (up to the break-even rank) whose ALS fit keeps {@code energy}: error² ≤ 1 − energy. */
    @Override
    public Choice forEnergy(double energy) {
        double maxErr = Math.sqrt(Math.max(0, 1 - energy));
        int lo = 1, hi = maxUsefulRank();
        if (decompose(hi).relativeError > maxErr) return choice(hi, true);
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (decompose(mid).relativeError <= maxErr) hi = mid;
            else lo = mid + 1;
        }
        return choice(lo, true);
    }

    @Override public Choice forMacFraction(double f) { return choice((int) Math.floor(f * site.macs() / macsPerRank()), false); }

    @Override
    public double apply(Graph g, Choice ch) {
        int rank = ch.ranks()[0], k = site.k(), c = site.c(), r = site.r(), s = site.s();
        CpAls cp = decompose(rank);
        float[] first = new float[rank * c], vert = new float[rank * r], hor = new float[rank * s], last = new float[k * rank];
        for (int q = 0; q < rank; q++) {
            for (int ch0 = 0; ch0 < c; ch0++) first[q * c + ch0] = (float) cp.factors[1].get(ch0, q);
            for (int i = 0; i < r; i++) vert[q * r + i] = (float) cp.factors[2].get(i, q);
            for (int j = 0; j < s; j++) hor[q * s + j] = (float) cp.factors[3].get(j, q);
            for (int n = 0; n < k; n++) last[n * rank + q] = (float) cp.factors[0].get(n, q);
        }
        GraphRewrites.Names names = new GraphRewrites.Names(g, site.baseName());
        Node n = site.node();
        String w1 = GraphRewrites.addWeight(g, names.next("cp_in.weight"), Tensor.of(first, rank, c, 1, 1));
        String w2 = GraphRewrites.addWeight(g, names.next("cp_vertical.weight"), Tensor.of(vert, rank, 1, r, 1));
        String w3 = GraphRewrites.addWeight(g, names.next("cp_horizontal.weight"), Tensor.of(hor, rank, 1, 1, s));
        String w4 = GraphRewrites.addWeight(g, names.next("cp_out.weight"), Tensor.of(last, k, rank, 1, 1));
        String y1 = names.next("cp_in"), y2 = names.next("cp_vertical"), y3 = names.next("cp_horizontal");
        long[] st = site.strides(), pd = site.pads(), dl = site.dilations();
        GraphRewrites.replace(g, n, List.of(
                GraphRewrites.pointwise(names.next("cp_in"), n.input(0), w1, null, y1),
                GraphRewrites.conv(names.next("cp_vertical"), y1, w2, null, y2, r, 1, new long[] {st[0], 1},
                        new long[] {pd[0], 0, pd[2], 0}, new long[] {dl[0], 1}, rank),
                GraphRewrites.conv(names.next("cp_horizontal"), y2, w3, null, y3, 1, s, new long[] {1, st[1]},
                        new long[] {0, pd[1], 0, pd[3]}, new long[] {1, dl[1]}, rank),
                GraphRewrites.pointwise(names.next("cp_out"), y3, w4, site.biasName(), n.output(0))));
        double[] approx = CpAls.reconstruct(dims, cp.factors, rank);
        // measure what the float32 weights compute, not the double factors
        double[] fromFloats = new double[approx.length];
        int e = 0;
        for (int a = 0; a < k; a++)
            for (int b = 0; b < c; b++)
                for (int i = 0; i < r; i++)
                    for (int j = 0; j < s; j++) {
                        double sum = 0;
                        for (int q = 0; q < rank; q++) sum += (double) last[a * rank + q] * first[q * c + b] * vert[q * r + i] * hor[q * s + j];
                        fromFloats[e++] = sum;
                    }
        return TuckerConvFactorizer.relativeError(fromFloats, w);
    }
}
