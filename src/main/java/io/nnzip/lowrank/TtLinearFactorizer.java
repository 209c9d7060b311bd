package io.nnzip.lowrank;

import io.nnzip.ir.Graph;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.util.linalg.Matrix;
import io.nnzip.util.linalg.Svd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tensor-Train matrix format of a fully connected layer (Novikov et al. 2015): in = n₁⋯n_d and out = m₁⋯m_d,
 * W[(i₁…i_d),(j₁…j_d)] = G₁[i₁,j₁]·G₂[i₂,j₂]⋯G_d[i_d,j_d] with cores G_k of shape (r_{k-1}, n_k, m_k, r_k).
 * The cores come from TT-SVD (sequential truncated SVDs of W with the index pairs (i_k, j_k) interleaved), whose
 * error² is exactly the sum of the discarded singular values² (left factors orthonormal). In the graph each core
 * is one MatMul between a Reshape/Transpose that brings (r_{k-1}, n_k) last; the value between cores k and k+1
 * is laid out (N, n_{k+1}, n_{k+2}⋯n_d · m₁⋯m_k, r_k).
 */
public final class TtLinearFactorizer implements LayerFactorizer {
    final LinearSite site;
    final int[] n, m;
    final int d;
    /** W with the index pairs interleaved: [i₁, j₁, i₂, j₂, …] row-major. */
    final double[] t;
    final double norm2;

    public TtLinearFactorizer(LinearSite site, int cores) {
        this.site = site;
        n = modes(site.in(), cores);
        m = modes(site.out(), cores);
        d = cores;
        t = interleave(site, n, m);
        double s = 0;
        for (double x : t) s += x * x;
        norm2 = s;
    }

    /** Balanced factors of {@code size} into {@code d} modes (largest prime first into the smallest mode), descending. */
    static int[] modes(int size, int d) {
        List<Integer> primes = new ArrayList<>();
        int x = size;
        for (int p = 2; (long) p * p <= x; p++) while (x % p == 0) { primes.add(p); x /= p; }
        if (x > 1) primes.add(x);
        primes.sort((a, b) -> b - a);
        int[] out = new int[d];
        Arrays.fill(out, 1);
        for (int p : primes) {
            int lo = 0;
            for (int i = 1; i < d; i++) if (out[i] < out[lo]) lo = i;
            out[lo] *= p;
        }
        Arrays.sort(out);
        for (int i = 0; i < d / 2; i++) { int s = out[i]; out[i] = out[d - 1 - i]; out[d - 1 - i] = s; }
        return out;
    }

    private static double[] interleave(LinearSite s, int[] n, int[] m) {
        int in = s.in(), out = s.out(), d = n.length;
        double[] t = new double[in * out];
        int[] ii = new int[d], jj = new int[d];
        for (int i = 0; i < in; i++) {
            digits(i, n, ii);
            for (int j = 0; j < out; j++) {
                digits(j, m, jj);
                int idx = 0;
                for (int k = 0; k < d; k++) idx = (idx * n[k] + ii[k]) * m[k] + jj[k];
                t[idx] = s.w().get(i, j);
            }
        }
        return t;
    }

    private static void digits(int x, int[] radix, int[] out) {
        for (int k = radix.length - 1; k >= 0; k--) { out[k] = x % radix[k]; x /= radix[k]; }
    }

    @Override public String layer() { return site.baseName(); }

    @Override public String op() { return site.node().opType(); }

    @Override public long originalMacs() { return site.macs(); }

    @Override public long originalParams() { return site.params(); }

    /** Cores, ranks (r₀ = r_d = 1) and the squared error TT-SVD with per-step rank caps or a per-step error budget gives. */
    record Train(int[] r, double[][] cores, double tail) {}

    /** TT-SVD: {@code caps[k]} bounds r_{k+1}; a step also stops at the smallest rank within {@code stepTail}. */
    Train decompose(int[] caps, double stepTail) {
        int[] r = new int[d + 1];
        r[0] = 1;
        r[d] = 1;
        double[][] cores = new double[d][];
        double[] c = t;
        int rest = t.length;
        double tail = 0;
        for (int k = 0; k < d - 1; k++) {
            int rows = r[k] * n[k] * m[k];
            rest /= n[k] * m[k];
            Svd s = Svd.of(new Matrix(rows, rest, c));
            int rk = Math.min(Math.min(caps[k], s.s.length), s.rankForTail(stepTail));
            tail += s.tailEnergy(rk);
            r[k + 1] = rk;
            cores[k] = new double[rows * rk];
            for (int i = 0; i < rows; i++) for (int j = 0; j < rk; j++) cores[k][i * rk + j] = s.u.get(i, j);
            double[] next = new double[rk * rest];
            for (int j = 0; j < rk; j++) for (int x = 0; x < rest; x++) next[j * rest + x] = s.s[j] * s.v.get(x, j);
            c = next;
        }
        cores[d - 1] = c;
        return new Train(r, cores, tail);
    }

    long params(int[] r) {
        long p = 0;
        for (int k = 0; k < d; k++) p += (long) r[k] * n[k] * m[k] * r[k + 1];
        return p;
    }

    long macs(int[] r) {
        long total = 0, nAfter = site.in(), mBefore = 1;
        for (int k = 0; k < d; k++) {
            nAfter /= n[k];
            total += nAfter * mBefore * r[k] * n[k] * m[k] * r[k + 1];
            mBefore *= m[k];
        }
        return site.rows() * total;
    }

    Choice choice(Train tr) {
        int[] ranks = Arrays.copyOfRange(tr.r, 1, d);
        return new Choice(ranks, macs(tr.r), params(tr.r), Math.sqrt(tr.tail / Math.max(norm2, 1e-300)));
    }

    Train forCaps(int cap) {
        int[] caps = new int[d - 1];
        Arrays.fill(caps, Math.max(1, cap));
        return decompose(caps, 0);
    }

    @Override public Choice forRank(int rank) { return choice(forCaps(rank)); }

    /** Per-step error budget (1 − energy)·‖W‖²/(d−1), so that the total kept energy is at least {@code energy}. */
    @Override
    public Choice forEnergy(double energy) {
        int[] caps = new int[d - 1];
        Arrays.fill(caps, Integer.MAX_VALUE);
        return choice(decompose(caps, (1 - energy) * norm2 / Math.max(1, d - 1)));
    }

    @Override
    public Choice forMacFraction(double f) {
        Choice best = forRank(1);
        for (int r = 2; r <= Math.min(site.in(), site.out()); r++) {
            Choice c = forRank(r);
            if (c.macs() > f * site.macs()) break;
            best = c;
        }
        return best;
    }

    /** The full kernel the cores represent, in the interleaved layout of {@link #t}. */
    static double[] contract(Train tr, int[] n, int[] m) {
        double[] a = tr.cores[0];
        int rows = n[0] * m[0];
        for (int k = 1; k < n.length; k++) {
            int rp = tr.r[k], cols = n[k] * m[k] * tr.r[k + 1];
            double[] b = tr.cores[k], next = new double[rows * cols];
            for (int i = 0; i < rows; i++)
                for (int a0 = 0; a0 < rp; a0++) {
                    double f = a[i * rp + a0];
                    if (f == 0) continue;
                    for (int j = 0; j < cols; j++) next[i * cols + j] += f * b[a0 * cols + j];
                }
            a = next;
            rows *= n[k] * m[k];
        }
        return a;
    }

    @Override
    public double apply(Graph g, Choice ch) {
        int[] caps = ch.ranks().clone();
        Train tr = decompose(caps, 0);
        Node node = site.node();
        boolean gemm = node.opType().equals("Gemm");
        if (gemm && node.attrInt("transA", 0) != 0) throw new NnzipException(layer() + ": TT needs transA = 0");
        float alpha = gemm ? node.attrFloat("alpha", 1f) : 1f;
        GraphRewrites.Names names = new GraphRewrites.Names(g, site.baseName());
        List<Node> chain = new ArrayList<>();
        String x = node.input(0);
        long nAfter = site.in(), mBefore = 1;
        for (int k = 0; k < d; k++) {
            nAfter /= n[k];
            int rp = tr.r[k], rk = tr.r[k + 1];
            String v4 = reshape(g, chain, names, x, -1, n[k], nAfter * mBefore, rp);
            String tp = names.next("tt_t" + k);
            Node tn = new Node(names.next("tt_transpose" + k), "Transpose", List.of(v4), List.of(tp));
            tn.set(io.nnzip.ir.Attribute.of("perm", 0L, 2L, 3L, 1L));
            chain.add(tn);
            String v2 = reshape(g, chain, names, tp, -1, (long) rp * n[k]);
            float[] core = new float[rp * n[k] * m[k] * rk];
            float scale = k == d - 1 ? alpha : 1f;
            for (int i = 0; i < core.length; i++) core[i] = (float) (tr.cores[k][i] * scale);
            String w = GraphRewrites.addWeight(g, names.next("tt_core" + k), Tensor.of(core, rp * n[k], m[k] * rk));
            String y = names.next("tt_y" + k);
            chain.add(new Node(names.next("tt_matmul" + k), "MatMul", List.of(v2, w), List.of(y)));
            x = y;
            mBefore *= m[k];
        }
        boolean bias = gemm && node.hasInput(2);
        String flat = bias ? names.next("tt_out") : node.output(0);
        chain.add(reshapeNode(g, names, x, flat, -1, site.out()));
        if (bias) {
            String b = node.input(2);
            float beta = node.attrFloat("beta", 1f);
            Tensor bt = g.initializer(b);
            if (beta != 1f) {
                if (bt == null) throw new NnzipException(layer() + ": TT needs a constant bias when beta ≠ 1");
                float[] f = bt.toFloats();
                for (int i = 0; i < f.length; i++) f[i] *= beta;
                b = GraphRewrites.addWeight(g, names.next("tt_bias"), Tensor.of(f, bt.shape()));
            }
            chain.add(new Node(names.next("tt_bias_add"), "Add", List.of(flat, b), List.of(node.output(0))));
        }
        GraphRewrites.replace(g, node, chain);
        double[] approx = contract(tr, n, m);
        double e = 0;
        for (int i = 0; i < t.length; i++) e += (approx[i] - t[i]) * (approx[i] - t[i]);
        return Math.sqrt(e / Math.max(norm2, 1e-300));
    }

    private static String reshape(Graph g, List<Node> chain, GraphRewrites.Names names, String x, long... shape) {
        String y = names.next("tt_r");
        chain.add(reshapeNode(g, names, x, y, shape));
        return y;
    }

    private static Node reshapeNode(Graph g, GraphRewrites.Names names, String x, String y, long... shape) {
        String s = GraphRewrites.addWeight(g, names.next("tt_shape"), Tensor.ofLongs(shape, shape.length));
        return new Node(names.next("tt_reshape"), "Reshape", List.of(x, s), List.of(y));
    }
}
