package io.nnzip.search;

import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.Map;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * A classifier-based Fréchet distance (FID with a Fashion-MNIST classifier in place of Inception): the images'
 * features are the input of the classifier's last Gemm/MatMul (its penultimate layer), each set of features is
 * summarized by its mean μ and covariance Σ, and
 * <pre>d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½)</pre>
 * with tr (Σ₁Σ₂)^½ = Σ √λᵢ over the eigenvalues of the symmetric Σ₁^½ Σ₂ Σ₁^½ (same spectrum as Σ₁Σ₂, and
 * symmetric, so EJML's symmetric eigen-decomposition gives it without a non-symmetric square root).
 */
public final class FrechetDistance {
    /** Mean and covariance (divided by n − 1) of a set of feature vectors. */
    public record Stats(double[] mean, double[][] cov) {
        public static Stats of(double[][] rows) {
            int d = rows[0].length, n = rows.length;
            double[] mu = new double[d];
            for (double[] r : rows) for (int j = 0; j < d; j++) mu[j] += r[j] / n;
            double[][] c = new double[d][d];
            for (double[] r : rows)
                for (int i = 0; i < d; i++) {
                    double di = r[i] - mu[i];
                    for (int j = i; j < d; j++) c[i][j] += di * (r[j] - mu[j]);
                }
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++) c[j][i] = c[i][j] /= Math.max(1, n - 1);
            return new Stats(mu, c);
        }
    }

    private FrechetDistance() {}

    /** The Fréchet distance between the Gaussians N(μ₁, Σ₁) and N(μ₂, Σ₂). */
    public static double of(Stats a, Stats b) {
        int d = a.mean().length;
        double dm = 0, tr = 0;
        for (int i = 0; i < d; i++) {
            double x = a.mean()[i] - b.mean()[i];
            dm += x * x;
            tr += a.cov()[i][i] + b.cov()[i][i];
        }
        DMatrixRMaj s1 = new DMatrixRMaj(a.cov()), s2 = new DMatrixRMaj(b.cov());
        DMatrixRMaj r1 = sqrtPsd(s1), t = new DMatrixRMaj(d, d), m = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(r1, s2, t);
        CommonOps_DDRM.mult(t, r1, m);
        // symmetrize against rounding before the symmetric decomposition
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++) {
                double v = (m.get(i, j) + m.get(j, i)) / 2;
                m.set(i, j, v);
                m.set(j, i, v);
            }
        double cross = 0;
        for (double l : eigenvalues(m)) cross += Math.sqrt(Math.max(0, l));
        return Math.max(0, dm + tr - 2 * cross);
    }

    /** The symmetric positive semi-definite square root V·diag(√max(λ,0))·Vᵀ. */
    static DMatrixRMaj sqrtPsd(DMatrixRMaj s) {
        int d = s.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(s.copy())) throw new NnzipException("Fréchet distance: the eigen-decomposition of a covariance did not converge");
        DMatrixRMaj out = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            double l = Math.sqrt(Math.max(0, eig.getEigenvalue(k).getReal()));
            DMatrixRMaj v = eig.getEigenVector(k);
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) out.add(i, j, l * v.get(i) * v.get(j));
        }
        return out;
    }

    private static double[] eigenvalues(DMatrixRMaj m) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(m.numRows, false, true);
        if (!eig.decompose(m.copy())) throw new NnzipException("Fréchet distance: the eigen-decomposition did not converge");
        double[] out = new double[m.numRows];
        for (int k = 0; k < out.length; k++) out[k] = eig.getEigenvalue(k).getReal();
        return out;
    }

    /** The input of the classifier's last Gemm/MatMul: the features its output layer reads. */
    static String featureValue(Graph g) {
        for (Node n : g.nodes().reversed()) if (n.opType().equals("Gemm") || n.opType().equals("MatMul")) return n.input(0);
        throw new NnzipException("Fréchet distance: the classifier has no final Gemm/MatMul whose input could serve as features");
    }

    /**
     * Scores generated images against real ones through one classifier: its features of the real images are
     * summarized once; {@link #score} gives the distance of a set of generated images to them.
     */
    public static final class Scorer {
        private final Model classifier;
        private final Normalization norm;
        private final int threads;
        private final Stats real;

        /** @param realPixels raw [0, 1] pixels (N·784) of the real images, normalized here by the classifier's metadata */
        public Scorer(Model classifier, float[] realPixels, int threads) {
            this.classifier = classifier;
            Normalization n = Normalization.fromMetadata(classifier);
            this.norm = n == null ? Normalization.NONE : n;
            this.threads = threads;
            this.real = Stats.of(features(realPixels));
        }

        public double score(float[] pixels) { return of(real, Stats.of(features(pixels))); }

        /** Penultimate-layer features of single-channel 28×28 images given as raw pixels. */
        double[][] features(float[] pixels) {
            String f = featureValue(classifier.graph());
            int n = pixels.length / 784;
            double[][] out = new double[n][];
            float mean = norm.mean()[0], std = norm.std()[0];
            try (Parallel par = new Parallel(threads)) {
                Tape tape = new Tape(classifier.graph(), classifier.opset(), par, 0);
                tape.setFusion(false);
                String in = classifier.graph().runtimeInputs().getFirst().name();
                for (int s = 0; s < n; s += 256) {
                    int k = Math.min(256, n - s);
                    float[] x = new float[k * 784];
                    for (int i = 0; i < x.length; i++) x[i] = (pixels[s * 784 + i] - mean) / std;
                    tape.forward(Map.of(in, Tensor.of(x, k, 1, 28, 28)), false);
                    float[] v = tape.value(f).floats();
                    int d = v.length / k;
                    for (int i = 0; i < k; i++) {
                        out[s + i] = new double[d];
                        for (int j = 0; j < d; j++) out[s + i][j] = v[i * d + j];
                    }
                }
            }
            return out;
        }
    }
}
