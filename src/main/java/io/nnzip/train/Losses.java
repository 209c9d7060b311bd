package io.nnzip.train;

/**
 * Loss functions over a batch, each returning the mean loss and writing its gradient with respect to the
 * predictions (already divided by the batch size) into {@code grad}.
 * <pre>logits, teacher, grad: (N,K); labels: (N)</pre>
 */
public final class Losses {
    private Losses() {}

    /**
     * Softmax cross-entropy against labels smoothed to (1 − ε)·onehot + ε/K.
     * dL/dlogit = (softmax − target) / N.
     */
    public static float softmaxCrossEntropy(float[] logits, int[] labels, int n, int k, float smoothing, float[] grad) {
        double total = 0;
        float off = smoothing / k, on = 1f - smoothing + off;
        for (int i = 0; i < n; i++) {
            int o = i * k;
            float mx = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) mx = Math.max(mx, logits[o + j]);
            double sum = 0;
            for (int j = 0; j < k; j++) sum += Math.exp(logits[o + j] - mx);
            double logSum = Math.log(sum) + mx;
            for (int j = 0; j < k; j++) {
                float target = j == labels[i] ? on : off;
                double logp = logits[o + j] - logSum;
                total -= target * logp;
                if (grad != null) grad[o + j] = (float) ((Math.exp(logp) - target) / n);
            }
        }
        return (float) (total / n);
    }

    /**
     * Distillation loss: KL(softmax(teacher/T) ‖ softmax(student/T)) · T², averaged over the batch (the T² keeps
     * gradient magnitudes comparable across temperatures). dL/dstudent = T·(p_s − p_t) / N.
     */
    public static float klDivergence(float[] student, float[] teacher, int n, int k, float temperature, float[] grad) {
        double total = 0;
        double[] ps = new double[k], pt = new double[k];
        for (int i = 0; i < n; i++) {
            int o = i * k;
            softmax(student, o, k, temperature, ps);
            softmax(teacher, o, k, temperature, pt);
            for (int j = 0; j < k; j++) {
                if (pt[j] > 0) total += pt[j] * (Math.log(pt[j]) - Math.log(Math.max(ps[j], 1e-30)));
                if (grad != null) grad[o + j] = (float) (temperature * (ps[j] - pt[j]) / n);
            }
        }
        return (float) (total * temperature * temperature / n);
    }

    /** Mean squared error over all elements: L = Σ(p − t)² / size, dL/dp = 2(p − t) / size. */
    public static float mse(float[] pred, float[] target, float[] grad) {
        double total = 0;
        int size = pred.length;
        for (int i = 0; i < size; i++) {
            double d = pred[i] - target[i];
            total += d * d;
            if (grad != null) grad[i] = (float) (2 * d / size);
        }
        return (float) (total / size);
    }

    private static void softmax(float[] x, int off, int k, float t, double[] out) {
        double mx = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < k; j++) mx = Math.max(mx, x[off + j] / t);
        for (int j = 0; j < k; j++) sum += out[j] = Math.exp(x[off + j] / t - mx);
        for (int j = 0; j < k; j++) out[j] /= sum;
    }
}
