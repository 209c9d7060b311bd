package io.nnzip.train;

import io.nnzip.ir.Tensor;
import io.nnzip.util.linalg.Matrix;
import io.nnzip.util.linalg.Svd;
import java.util.regex.Pattern;

/**
 * Low-rank regularized training: the nuclear norm λ·Σσᵢ(W) (the convex surrogate of rank) on every weight whose
 * name matches, each read as a matrix (first dim × the rest: a Gemm weight as it is, a conv filter as K × C·R·S).
 * Applied as its proximal step after the optimizer's, singular value soft-thresholding W ← U·max(σ − η·λ, 0)·Vᵀ
 * with η the step's learning rate, so small singular values reach exactly zero during training and a later
 * truncated SVD ({@code factorize --method svd}) drops them at little cost. The SVD runs after every step, so the
 * weights training ends with are exactly of low rank (an Adam step between two thresholdings would add back small
 * singular values in every direction). Rank is what
 * Tai et al. (2017) constrain by construction; this is the regularized-training form of the same goal.
 */
public record LowRankPenalty(float lambda, Pattern names) implements StepHook {
    public static LowRankPenalty of(float lambda, String regex) { return new LowRankPenalty(lambda, Pattern.compile(regex)); }

    @Override
    public void afterStep(Trainer trainer) {
        float tau = trainer.learningRate() * lambda;
        for (Param p : trainer.params()) {
            if (!names.matcher(p.name()).find()) continue;
            Tensor t = trainer.model().graph().initializer(p.name());
            if (t == null || t.rank() < 2) continue;
            int rows = t.dim(0), cols = p.size() / rows;
            if (rows < 2 || cols < 2) continue;
            shrink(p.value(), rows, cols, tau);
        }
    }

    /** W ← U·max(σ − tau, 0)·Vᵀ in place; returns the nuclear norm after the step. */
    public static double shrink(float[] w, int rows, int cols, double tau) {
        double[] a = new double[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = w[i];
        Svd svd = Svd.of(new Matrix(rows, cols, a));
        int q = svd.s.length;
        double[] s = new double[q];
        double nuclear = 0;
        for (int j = 0; j < q; j++) {
            s[j] = Math.max(0, svd.s[j] - tau);
            nuclear += s[j];
        }
        for (int i = 0; i < rows; i++)
            for (int c = 0; c < cols; c++) {
                double v = 0;
                for (int j = 0; j < q && s[j] > 0; j++) v += svd.u.get(i, j) * s[j] * svd.v.get(c, j);
                w[i * cols + c] = (float) v;
            }
        return nuclear;
    }
}
