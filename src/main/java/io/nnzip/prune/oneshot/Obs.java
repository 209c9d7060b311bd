package io.nnzip.prune.oneshot;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * Mask selection and weight update for one layer y = W·x from the Gram matrix H = Σ x·xᵀ of its calibration inputs.
 * <ul>
 *   <li>{@link #sparseGpt}: Optimal-Brain-Surgeon pruning one input column at a time (Frantar &amp; Alistarh 2023,
 *   SparseGPT): a weight's saliency is w²/[H⁻¹]ⱼⱼ², and removing it is compensated by moving the error onto the
 *   columns not yet visited, along the row of the upper Cholesky factor of H⁻¹.</li>
 *   <li>{@link #wanda}: no update; saliency |w|·‖x_j‖ compared within each output row (Sun et al. 2023, Wanda).</li>
 * </ul>
 * Both take an amount (share of each row, or of each block of columns) or an N:M pattern along the inputs.
 * Matrices are row-major: w is rows × cols, h is cols × cols. Masks are true where a weight is removed.
 */
final class Obs {
    /** Columns whose mask SparseGPT chooses at once (later columns' weights have absorbed earlier errors by then). */
    static final int BLOCK = 128;

    private Obs() {}

    /** Prunes {@code w} in place and returns the mask. @param nm {N, M} or null for {@code amount} unstructured */
    static boolean[] sparseGpt(double[] w, int rows, int cols, double[] h, double amount, int[] nm, double damp) {
        double[] hh = h.clone();
        for (int c = 0; c < cols; c++)
            if (hh[c * cols + c] == 0) {
                // an input that is always zero: its weights do nothing, and H needs a diagonal to be inverted
                hh[c * cols + c] = 1;
                for (int r = 0; r < rows; r++) w[r * cols + c] = 0;
            }
        double[] u = upperCholeskyOfInverse(hh, cols, damp);
        boolean[] mask = new boolean[rows * cols];
        for (int i = 0; i < cols; i++) {
            if (nm != null && i % nm[1] == 0 && i + nm[1] <= cols) chooseNm(w, rows, cols, i, nm, mask, j -> u[j * cols + j]);
            if (nm == null && i % BLOCK == 0) chooseBlock(w, rows, cols, i, Math.min(cols, i + BLOCK), amount, mask, u);
            double d = u[i * cols + i];
            for (int r = 0; r < rows; r++) {
                int at = r * cols + i;
                if (!mask[at]) continue;
                double err = w[at] / d;
                w[at] = 0;
                for (int j = i + 1; j < cols; j++) w[r * cols + j] -= err * u[i * cols + j];
            }
        }
        return mask;
    }

    /** Wanda: removes the lowest |w|·‖x_j‖ of each row (or of each N:M group); {@code w} is zeroed where masked. */
    static boolean[] wanda(double[] w, int rows, int cols, double[] h, double amount, int[] nm) {
        double[] norm = new double[cols];
        for (int c = 0; c < cols; c++) norm[c] = Math.sqrt(Math.max(0, h[c * cols + c]));
        boolean[] mask = new boolean[rows * cols];
        if (nm != null) {
            for (int i = 0; i + nm[1] <= cols; i += nm[1]) chooseNm(w, rows, cols, i, nm, mask, j -> 1 / Math.max(norm[j], 1e-300));
        } else {
            int k = (int) Math.floor(amount * cols + 1e-9);
            Integer[] order = new Integer[cols];
            for (int r = 0; r < rows; r++) {
                final int row = r;
                for (int c = 0; c < cols; c++) order[c] = c;
                Arrays.sort(order, (a, b) -> Double.compare(Math.abs(w[row * cols + a]) * norm[a], Math.abs(w[row * cols + b]) * norm[b]));
                for (int j = 0; j < k; j++) mask[r * cols + order[j]] = true;
            }
        }
        for (int i = 0; i < mask.length; i++) if (mask[i]) w[i] = 0;
        return mask;
    }

    /** In columns [i, i+M) of every row, marks the M−N weights of least (w/scale(j))². */
    private static void chooseNm(double[] w, int rows, int cols, int i, int[] nm, boolean[] mask, java.util.function.IntToDoubleFunction scale) {
        Integer[] order = new Integer[nm[1]];
        double[] s = new double[nm[1]];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < nm[1]; j++) {
                double v = w[r * cols + i + j] / scale.applyAsDouble(i + j);
                s[j] = v * v;
                order[j] = j;
            }
            Arrays.sort(order, (a, b) -> Double.compare(s[a], s[b]));
            for (int j = 0; j < nm[1] - nm[0]; j++) mask[r * cols + i + order[j]] = true;
        }
    }

    /** Marks the {@code amount} share of least w²/[U]ⱼⱼ² among columns [from, to) of all rows. */
    private static void chooseBlock(double[] w, int rows, int cols, int from, int to, double amount, boolean[] mask, double[] u) {
        int n = rows * (to - from), k = (int) Math.floor(amount * n + 1e-9);
        if (k == 0) return;
        double[] s = new double[n];
        for (int r = 0; r < rows; r++)
            for (int j = from; j < to; j++) {
                double v = w[r * cols + j] / u[j * cols + j];
                s[r * (to - from) + j - from] = v * v;
            }
        double[] sorted = s.clone();
        Arrays.sort(sorted);
        double thr = sorted[k - 1];
        int left = k;
        for (int pass = 0; pass < 2; pass++)
            for (int r = 0; r < rows; r++)
                for (int j = from; j < to && left > 0; j++) {
                    double v = s[r * (to - from) + j - from];
                    if (pass == 0 ? v < thr : v == thr && !mask[r * cols + j]) {
                        mask[r * cols + j] = true;
                        left--;
                    }
                }
    }

    /** U with UᵀU = (H + λI)⁻¹, λ = damp·mean(diag H), raised tenfold until H + λI is positive definite. */
    static double[] upperCholeskyOfInverse(double[] h, int n, double damp) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += h[i * n + i];
        mean /= n;
        for (int attempt = 0; attempt < 6; attempt++, damp *= 10) {
            DMatrixRMaj a = new DMatrixRMaj(n, n, true, h.clone());
            for (int i = 0; i < n; i++) a.add(i, i, damp * mean);
            LinearSolverDense<DMatrixRMaj> chol = LinearSolverFactory_DDRM.chol(n);
            if (!chol.setA(a)) continue;
            DMatrixRMaj inv = new DMatrixRMaj(n, n);
            chol.invert(inv);
            CholeskyDecomposition_F64<DMatrixRMaj> up = DecompositionFactory_DDRM.chol(n, false);
            if (!up.decompose(inv)) continue;
            DMatrixRMaj t = up.getT(null);
            double[] out = new double[n * n];
            for (int i = 0; i < n; i++) for (int j = i; j < n; j++) out[i * n + j] = t.get(i, j);
            return out;
        }
        throw new IllegalStateException("the calibration Gram matrix stays singular after damping");
    }
}
