package io.nnzip.lowrank;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.util.linalg.Matrix;
import io.nnzip.util.linalg.Svd;
import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * Data-driven low rank of a fully connected layer with asymmetric reconstruction (Zhang et al. 2016, "Accelerating
 * very deep convolutional networks for classification and detection"): with X the layer's inputs in the original
 * network, X̂ those in the network whose earlier layers are already approximated, Y = X·W + b and Ŷ = X̂·W, find a
 * rank-k M and b' minimizing Σ‖r(Y) − r(Ŷ·M + b')‖² where r is the ReLU that follows the layer (identity when none
 * does). The nonlinear problem is relaxed with auxiliary Z (‖r(Y) − r(Z)‖² + λ‖Z − Ŷ·M − b'‖²) and solved by
 * alternation, each step exact: with Z fixed, M is the reduced-rank regression of Z on Ŷ (least squares, then the
 * projection on the top-k principal directions of the fitted values); with M fixed each z is one of two closed
 * forms. λ is 0.01 for the first half of the iterations and 1 after, as in the paper. Because the target is the
 * original response and the regressor the approximated one, errors of earlier layers are corrected instead of
 * compounded. The layer becomes x̂ → (x̂·W·Q)·Pᵀ + b' with M = Q·Pᵀ: the same cost as plain SVD at rank k.
 */
public final class AsymSvdLinearFactorizer implements LayerFactorizer {
    /** The layer input in the original network and in the network being rewritten, each (N, in). */
    public interface Inputs {
        double[][] capture(Graph current, String value);
    }

    final SvdLinearFactorizer plain;
    final Inputs inputs;
    final int iterations;
    boolean relu;
    /** After {@link #apply}: relative error ‖r(Y) − r(Ŷ·M + b')‖/‖r(Y)‖ of plain SVD and of the fit, on the calibration inputs. */
    double plainError = Double.NaN, fitError = Double.NaN;

    public AsymSvdLinearFactorizer(LinearSite site, Inputs inputs, int iterations) {
        plain = new SvdLinearFactorizer(site);
        this.inputs = inputs;
        this.iterations = iterations;
    }

    @Override public String layer() { return plain.layer(); }

    @Override public String op() { return plain.op(); }

    @Override public long originalMacs() { return plain.originalMacs(); }

    @Override public long originalParams() { return plain.originalParams(); }

    @Override public Choice forRank(int rank) { return plain.forRank(rank); }

    @Override public Choice forEnergy(double energy) { return plain.forEnergy(energy); }

    @Override public Choice forMacFraction(double f) { return plain.forMacFraction(f); }

    public Choice forVbmf() { return plain.forVbmf(); }

    /** Fitted factors: A = W·Q (in×k), B = Pᵀ (k×out), bias (out). */
    record Fit(DMatrixRMaj a, DMatrixRMaj b, double[] bias) {}

    static boolean followedByRelu(Graph g, Node n) {
        List<Node> users = g.consumers().getOrDefault(n.output(0), List.of());
        return users.size() == 1 && users.getFirst().opType().equals("Relu")
                && g.outputs().stream().noneMatch(v -> v.name().equals(n.output(0)));
    }

    /**
     * @param w effective in×out kernel (alpha folded in), {@code b0} the effective bias (beta folded in, zeros if none)
     */
    static Fit fit(DMatrixRMaj x, DMatrixRMaj xh, DMatrixRMaj w, double[] b0, int k, boolean relu, int iterations) {
        int n = x.numRows, out = w.numCols;
        DMatrixRMaj y = new DMatrixRMaj(n, out), yh = new DMatrixRMaj(n, out);
        CommonOps_DDRM.mult(x, w, y);
        CommonOps_DDRM.mult(xh, w, yh);
        for (int i = 0; i < n; i++) for (int j = 0; j < out; j++) y.add(i, j, b0[j]);
        double[] my = colMeans(yh);
        DMatrixRMaj yc = yh.copy();
        for (int i = 0; i < n; i++) for (int j = 0; j < out; j++) yc.add(i, j, -my[j]);
        // Gram of the centred regressors, regularized by a trace share so a rank-deficient Ŷ still solves
        DMatrixRMaj gram = new DMatrixRMaj(out, out);
        CommonOps_DDRM.multTransA(yc, yc, gram);
        double ridge = 1e-6 * Math.max(CommonOps_DDRM.trace(gram) / out, 1e-12);
        for (int j = 0; j < out; j++) gram.add(j, j, ridge);
        LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.symmPosDef(out);
        if (!solver.setA(gram)) throw new NnzipException("svd-asym: the layer's calibration responses are degenerate");
        DMatrixRMaj target = relu ? relu(y) : y;
        DMatrixRMaj z = y.copy();
        Fit f = regress(z, yc, my, solver, k);
        int iters = relu ? iterations : 0;
        for (int it = 0; it < iters; it++) {
            double lambda = it < iters / 2 ? 0.01 : 1.0;
            DMatrixRMaj u = response(yh, f);
            for (int i = 0; i < z.data.length; i++) z.data[i] = bestZ(target.data[i], u.data[i], lambda);
            f = regress(z, yc, my, solver, k);
        }
        return new Fit(mult(w, f.a), f.b, f.bias);
    }

    /** argmin_z (r − max(z,0))² + λ(z − u)², r ≥ 0: the better of the z ≤ 0 and z ≥ 0 minimizers. */
    static double bestZ(double r, double u, double lambda) {
        double z0 = Math.min(0, u), z1 = Math.max(0, (lambda * u + r) / (1 + lambda));
        double c0 = r * r + lambda * (z0 - u) * (z0 - u), c1 = (r - z1) * (r - z1) + lambda * (z1 - u) * (z1 - u);
        return c0 < c1 ? z0 : z1;
    }

    /** Reduced-rank regression of Z on Ŷ; here {@code a} is Q (out×k) acting on Ŷ, later multiplied into W. */
    private static Fit regress(DMatrixRMaj z, DMatrixRMaj yc, double[] my, LinearSolverDense<DMatrixRMaj> solver, int k) {
        int out = yc.numCols;
        double[] mz = colMeans(z);
        DMatrixRMaj rhs = new DMatrixRMaj(out, z.numCols);
        CommonOps_DDRM.multTransA(yc, z, rhs);  // Ŷcᵀ·Z = Ŷcᵀ·Zc since Ŷc has zero column means
        DMatrixRMaj mls = new DMatrixRMaj(out, z.numCols);
        solver.solve(rhs, mls);
        DMatrixRMaj fitted = mult(yc, mls);
        DMatrixRMaj cov = new DMatrixRMaj(z.numCols, z.numCols);
        CommonOps_DDRM.multTransA(fitted, fitted, cov);
        Svd e = Svd.of(new Matrix(cov.numRows, cov.numCols, cov.data));
        int kk = Math.min(k, e.s.length);
        DMatrixRMaj p = new DMatrixRMaj(z.numCols, kk);
        for (int i = 0; i < z.numCols; i++) for (int j = 0; j < kk; j++) p.set(i, j, e.u.get(i, j));
        DMatrixRMaj q = mult(mls, p), pt = CommonOps_DDRM.transpose(p, null);
        DMatrixRMaj m = mult(q, pt);
        double[] bias = new double[z.numCols];
        for (int j = 0; j < z.numCols; j++) {
            double s = mz[j];
            for (int i = 0; i < out; i++) s -= my[i] * m.get(i, j);
            bias[j] = s;
        }
        return new Fit(q, pt, bias);
    }

    private static DMatrixRMaj response(DMatrixRMaj yh, Fit f) {
        DMatrixRMaj u = mult(mult(yh, f.a), f.b);
        for (int i = 0; i < u.numRows; i++) for (int j = 0; j < u.numCols; j++) u.add(i, j, f.bias[j]);
        return u;
    }

    static DMatrixRMaj mult(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numCols);
        CommonOps_DDRM.mult(a, b, c);
        return c;
    }

    static DMatrixRMaj relu(DMatrixRMaj m) {
        DMatrixRMaj r = m.copy();
        for (int i = 0; i < r.data.length; i++) r.data[i] = Math.max(0, r.data[i]);
        return r;
    }

    private static double[] colMeans(DMatrixRMaj m) {
        double[] s = new double[m.numCols];
        for (int i = 0; i < m.numRows; i++) for (int j = 0; j < m.numCols; j++) s[j] += m.get(i, j);
        for (int j = 0; j < s.length; j++) s[j] /= m.numRows;
        return s;
    }

    /** ‖r(Y) − r(X̂·A·B + bias)‖ / ‖r(Y)‖ on the calibration rows. */
    static double outputError(DMatrixRMaj x, DMatrixRMaj xh, DMatrixRMaj w, double[] b0, Fit f, boolean relu) {
        DMatrixRMaj y = mult(x, w), yk = mult(mult(xh, f.a), f.b);
        double e = 0, t = 0;
        for (int i = 0; i < y.numRows; i++)
            for (int j = 0; j < y.numCols; j++) {
                double a = y.get(i, j) + b0[j], b = yk.get(i, j) + f.bias[j];
                if (relu) { a = Math.max(0, a); b = Math.max(0, b); }
                e += (a - b) * (a - b);
                t += a * a;
            }
        return Math.sqrt(e / Math.max(t, 1e-300));
    }

    @Override
    public double apply(Graph g, Choice c) {
        LinearSite site = plain.site;
        Node n = site.node();
        boolean gemm = n.opType().equals("Gemm");
        int in = site.in(), out = site.out(), k = c.ranks()[0];
        relu = followedByRelu(g, n);
        double alpha = gemm ? n.attrFloat("alpha", 1f) : 1, beta = gemm ? n.attrFloat("beta", 1f) : 1;
        double[] b0 = new double[out];
        if (gemm && n.hasInput(2)) {
            Tensor bt = g.initializer(n.input(2));
            if (bt == null || bt.size() != out) throw new NnzipException(layer() + ": svd-asym needs a constant bias of " + out + " values");
            float[] f = bt.toFloats();
            for (int j = 0; j < out; j++) b0[j] = beta * f[j];
        }
        DMatrixRMaj w = new DMatrixRMaj(in, out);
        for (int i = 0; i < in; i++) for (int j = 0; j < out; j++) w.set(i, j, alpha * site.w().get(i, j));
        double[][] xs = inputs.capture(g, n.input(0));
        DMatrixRMaj x = rows(xs[0], in), xh = rows(xs[1], in);
        if (gemm && n.attrInt("transA", 0) != 0) throw new NnzipException(layer() + ": svd-asym needs transA = 0");
        Fit f = fit(x, xh, w, b0, k, relu, iterations);
        fitError = outputError(x, xh, w, b0, f, relu);
        plainError = outputError(x, xh, w, b0, plainFit(w, b0, k), relu);
        emit(g, site, f);
        DMatrixRMaj approx = mult(f.a, f.b);
        double e = 0, t = 0;
        for (int i = 0; i < w.data.length; i++) {
            e += (approx.data[i] - w.data[i]) * (approx.data[i] - w.data[i]);
            t += w.data[i] * w.data[i];
        }
        return Math.sqrt(e / Math.max(t, 1e-300));
    }

    /** Plain truncated SVD in the same form, for the reported comparison. */
    private Fit plainFit(DMatrixRMaj w, double[] b0, int k) {
        Svd s = Svd.of(new Matrix(w.numRows, w.numCols, w.data));
        int kk = Math.min(k, s.s.length);
        DMatrixRMaj a = new DMatrixRMaj(w.numRows, kk), b = new DMatrixRMaj(kk, w.numCols);
        for (int j = 0; j < kk; j++) {
            for (int i = 0; i < w.numRows; i++) a.set(i, j, s.u.get(i, j) * s.s[j]);
            for (int o = 0; o < w.numCols; o++) b.set(j, o, s.v.get(o, j));
        }
        return new Fit(a, b, b0);
    }

    private static DMatrixRMaj rows(double[] flat, int in) { return new DMatrixRMaj(flat.length / in, in, true, flat); }

    private void emit(Graph g, LinearSite site, Fit f) {
        Node n = site.node();
        int in = site.in(), out = site.out(), k = f.a.numCols;
        GraphRewrites.Names names = new GraphRewrites.Names(g, site.baseName());
        String wa = GraphRewrites.addWeight(g, names.next("svd_u"), Tensor.of(floats(f.a.data), in, k));
        String wb = GraphRewrites.addWeight(g, names.next("svd_v"), Tensor.of(floats(f.b.data), k, out));
        String bias = GraphRewrites.addWeight(g, names.next("svd_bias"), Tensor.of(floats(f.bias), out));
        String mid = names.next("bottleneck");
        List<Node> chain = new ArrayList<>();
        if (n.opType().equals("Gemm")) {
            chain.add(new Node(names.next("svd0"), "Gemm", List.of(n.input(0), wa), List.of(mid)));
            Node second = new Node(names.next("svd1"), "Gemm", List.of(mid, wb, bias), List.of(n.output(0)));
            second.set(Attribute.of("alpha", 1f));
            second.set(Attribute.of("beta", 1f));
            chain.add(second);
        } else {
            String prod = names.next("svd_prod");
            chain.add(new Node(names.next("svd0"), "MatMul", List.of(n.input(0), wa), List.of(mid)));
            chain.add(new Node(names.next("svd1"), "MatMul", List.of(mid, wb), List.of(prod)));
            chain.add(new Node(names.next("svd_bias_add"), "Add", List.of(prod, bias), List.of(n.output(0))));
        }
        GraphRewrites.replace(g, n, chain);
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
