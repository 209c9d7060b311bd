package io.nnzip.lowrank;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.util.linalg.Matrix;
import io.nnzip.util.linalg.Svd;
import java.util.ArrayList;
import java.util.List;

/**
 * Truncated SVD of a fully connected layer: W (in×out) ≈ (U_k·√S_k)·(√S_k·V_kᵀ), a bottleneck of width k.
 * By Eckart–Young the kernel error is exactly √(Σ_{i≥k} s_i²), and for inputs with orthonormal rows so is the
 * output error.
 */
public final class SvdLinearFactorizer implements LayerFactorizer {
    final LinearSite site;
    final Svd svd;

    public SvdLinearFactorizer(LinearSite site) {
        this.site = site;
        this.svd = Svd.of(site.w());
    }

    @Override public String layer() { return site.baseName(); }

    @Override public String op() { return site.node().opType(); }

    @Override public long originalMacs() { return site.macs(); }

    @Override public long originalParams() { return site.params(); }

    int maxRank() { return Math.min(site.in(), site.out()); }

    Choice choice(int k) {
        k = Math.max(1, Math.min(k, maxRank()));
        long p = (long) k * (site.in() + site.out());
        return new Choice(new int[] {k}, site.rows() * p, p, Math.sqrt(svd.tailEnergy(k) / Math.max(svd.totalEnergy(), 1e-300)));
    }

    @Override public Choice forRank(int rank) { return choice(rank); }

    @Override public Choice forEnergy(double energy) { return choice(svd.rankForEnergy(energy)); }

    @Override public Choice forMacFraction(double f) {
        return choice((int) Math.floor(f * site.in() * (double) site.out() / (site.in() + site.out())));
    }

    /** The rank the variational Bayesian estimate finds above the noise floor. */
    public Choice forVbmf() { return choice(Vbmf.rank(svd.s, site.in(), site.out(), svd.totalEnergy())); }

    @Override
    public double apply(Graph g, Choice c) {
        int k = c.ranks()[0], in = site.in(), out = site.out();
        float[] a = new float[in * k], b = new float[k * out];
        for (int j = 0; j < k; j++) {
            double rs = Math.sqrt(svd.s[j]);
            for (int i = 0; i < in; i++) a[i * k + j] = (float) (svd.u.get(i, j) * rs);
            for (int o = 0; o < out; o++) b[j * out + o] = (float) (svd.v.get(o, j) * rs);
        }
        Node n = site.node();
        GraphRewrites.Names names = new GraphRewrites.Names(g, site.baseName());
        String wa = GraphRewrites.addWeight(g, names.next("svd_u"), Tensor.of(a, in, k));
        String wb = GraphRewrites.addWeight(g, names.next("svd_v"), Tensor.of(b, k, out));
        String mid = names.next("bottleneck");
        List<Node> chain = new ArrayList<>();
        if (n.opType().equals("Gemm")) {
            Node first = new Node(names.next("svd0"), "Gemm", List.of(n.input(0), wa), List.of(mid));
            if (n.attrInt("transA", 0) != 0) first.set(Attribute.of("transA", 1L));
            List<String> ins = new ArrayList<>(List.of(mid, wb));
            if (n.hasInput(2)) ins.add(n.input(2));
            Node second = new Node(names.next("svd1"), "Gemm", ins, List.of(n.output(0)));
            second.set(Attribute.of("alpha", n.attrFloat("alpha", 1f)));
            second.set(Attribute.of("beta", n.attrFloat("beta", 1f)));
            chain.add(first);
            chain.add(second);
        } else {
            chain.add(new Node(names.next("svd0"), "MatMul", List.of(n.input(0), wa), List.of(mid)));
            chain.add(new Node(names.next("svd1"), "MatMul", List.of(mid, wb), List.of(n.output(0))));
        }
        GraphRewrites.replace(g, n, chain);
        Matrix approx = Matrix.fromFloats(a, in, k).times(Matrix.fromFloats(b, k, out));
        return approx.minus(site.w()).frobenius() / Math.max(site.w().frobenius(), 1e-300);
    }
}
