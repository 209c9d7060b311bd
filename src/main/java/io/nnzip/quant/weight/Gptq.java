package io.nnzip.quant.weight;

import io.nnzip.ir.NnzipException;
import io.nnzip.quant.QuantMath;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * GPTQ-style one-shot quantization of a linear layer (Frantar et al., 2022): the inputs are quantized one column
 * (= input feature) at a time, and each column's rounding error is pushed onto the columns not yet quantized in
 * proportion to the inverse Hessian H⁻¹ of the layer's output error, H = E[xᵀx] over calibration inputs. A group's
 * scale and zero point are chosen when its first column is reached, from the weights as updated so far.
 */
public final class Gptq {
    private Gptq() {}

    /**
     * @param w     rows × cols (outputs × inputs), row-major; not modified
     * @param h     cols × cols input second moments
     * @param damp  fraction of the mean diagonal of H added to its diagonal (keeps the inverse stable)
     */
    public static GroupedInts quantize(float[] w, int rows, int cols, double[] h, int group, int bits, double damp) {
        double[] wk = new double[w.length];
        for (int i = 0; i < w.length; i++) wk[i] = w[i];
        double[] hd = h.clone();
        double meanDiag = 0;
        for (int i = 0; i < cols; i++) meanDiag += hd[i * cols + i] / cols;
        for (int i = 0; i < cols; i++) {
            // an input that is always 0 carries no information: its weights do not matter, quantize them as 0
            if (hd[i * cols + i] == 0) {
                hd[i * cols + i] = 1;
                for (int r = 0; r < rows; r++) wk[r * cols + i] = 0;
            }
            hd[i * cols + i] += damp * (meanDiag > 0 ? meanDiag : 1);
        }
        double[] u = upperCholeskyOfInverse(hd, cols);
        int groups = (cols + group - 1) / group, qmin = QuantMath.qminBits(bits), qmax = QuantMath.qmaxBits(bits);
        int[] q = new int[w.length], zps = new int[rows * groups];
        float[] scales = new float[rows * groups];
        float[] row = new float[group];
        for (int c = 0; c < cols; c++) {
            int j = c / group;
            if (c % group == 0) {
                int len = Math.min(group, cols - c);
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < len; i++) row[i] = (float) wk[r * cols + c + i];
                    float[] sz = GroupedLinearQuantizer.bestParams(row, 0, len, qmin, qmax);
                    scales[r * groups + j] = sz[0];
                    zps[r * groups + j] = (int) sz[1];
                }
            }
            double d = u[c * cols + c];
            for (int r = 0; r < rows; r++) {
                float s = scales[r * groups + j];
                int z = zps[r * groups + j];
                double x = wk[r * cols + c];
                int qi = QuantMath.quantize((float) x, s, z, qmin, qmax);
                q[r * cols + c] = qi;
                double err = (x - QuantMath.dequantize(qi, s, z)) / d;
                for (int t = c + 1; t < cols; t++) wk[r * cols + t] -= err * u[c * cols + t];
            }
        }
        return new GroupedInts(q, scales, zps, rows, cols, group, bits);
    }

    /** Σ_r (w_r − v_r)ᵀ H (w_r − v_r): the summed squared output error of replacing w by v on inputs with moments H. */
    public static double outputError(float[] w, float[] v, int rows, int cols, double[] h) {
        double total = 0;
        double[] e = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) e[i] = w[r * cols + i] - (double) v[r * cols + i];
            for (int i = 0; i < cols; i++) {
                if (e[i] == 0) continue;
                double s = 0;
                for (int t = 0; t < cols; t++) s += h[i * cols + t] * e[t];
                total += e[i] * s;
            }
        }
        return total;
    }

    /** U upper triangular with H⁻¹ = UᵀU (row-major), by EJML's Cholesky solver and decomposition. */
    static double[] upperCholeskyOfInverse(double[] h, int n) {
        LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.chol(n);
        if (!solver.setA(new DMatrixRMaj(n, n, true, h.clone()))) throw new NnzipException("GPTQ: the damped Hessian is not positive definite (raise --gptq-damp)");
        DMatrixRMaj inv = new DMatrixRMaj(n, n);
        solver.invert(inv);
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(n, false);
        if (!chol.decompose(inv)) throw new NnzipException("GPTQ: the inverse Hessian is not positive definite (raise --gptq-damp)");
        DMatrixRMaj t = chol.getT(null);
        double[] u = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) u[i * n + j] = t.get(i, j);
        return u;
    }
}
