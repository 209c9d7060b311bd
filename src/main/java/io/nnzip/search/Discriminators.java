package io.nnzip.search;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The discriminator-side population of co-evolutionary generator compression: {@code k} small networks on the pixels
 * (d → 16 ReLU → 1, logistic), each trained to tell the original generator's images (label 1) from the compressed
 * candidates' images (label 0) for the same noise. After every generation of generators each discriminator is trained
 * further on that generation's images ({@link #update}), its fitness is its accuracy on the samples it was not trained
 * on, and the least accurate one is replaced by a mutated copy of the most accurate (weights plus Gaussian noise), so the
 * population evolves toward the discriminators hardest to fool. A generator's adversarial score ({@link #fooled}) is the
 * mean probability the discriminators give its images of being the original's. Everything draws from seeded generators,
 * so the population after generation g is a function of the seed and generations 0..g alone.
 */
final class Discriminators {
    static final int HIDDEN = 16;
    static final double LR = 0.05, MUTATION = 0.02;
    /** Of the n samples per image set, the first {@code n·TRAIN} train the discriminators, the rest measure them. */
    static final double TRAIN = 0.75;

    private final int d, steps;
    private final long seed;
    private final List<double[]> w1 = new ArrayList<>(), b1 = new ArrayList<>(), w2 = new ArrayList<>();
    private final double[] b2;
    /** Held-out accuracy of each discriminator after the last update (NaN before the first). */
    private final double[] accuracy;

    /** @param steps SGD steps (each on one original and one candidate image) per discriminator and generation */
    Discriminators(int k, int d, int steps, long seed) {
        this.d = d;
        this.steps = steps;
        this.seed = seed;
        this.b2 = new double[k];
        this.accuracy = new double[k];
        java.util.Arrays.fill(accuracy, Double.NaN);
        SplittableRandom r = new SplittableRandom(seed ^ 0xD15C0L);
        double a1 = Math.sqrt(6.0 / d), a2 = Math.sqrt(6.0 / HIDDEN);
        for (int i = 0; i < k; i++) {
            double[] w = new double[HIDDEN * d], v = new double[HIDDEN];
            for (int j = 0; j < w.length; j++) w[j] = (2 * r.nextDouble() - 1) * a1;
            for (int j = 0; j < v.length; j++) v[j] = (2 * r.nextDouble() - 1) * a2;
            w1.add(w);
            b1.add(new double[HIDDEN]);
            w2.add(v);
        }
    }

    int size() { return b2.length; }

    double[] accuracy() { return accuracy.clone(); }

    /** Logit of "original" for image {@code i} of {@code x}; {@code h} receives the hidden activations. */
    private double logit(int m, float[] x, int i, double[] h) {
        double[] w = w1.get(m), b = b1.get(m), v = w2.get(m);
        double z = b2[m];
        int o = i * d;
        for (int j = 0; j < HIDDEN; j++) {
            double s = b[j];
            int wo = j * d;
            for (int q = 0; q < d; q++) s += w[wo + q] * x[o + q];
            h[j] = Math.max(0, s);
            z += v[j] * h[j];
        }
        return z;
    }

    private static double sigmoid(double z) { return 1 / (1 + Math.exp(-z)); }

    /** Mean over discriminators and images of P(original | image): 1 fools every discriminator every time. */
    double fooled(float[] images) {
        int n = images.length / d;
        double[] h = new double[HIDDEN];
        double s = 0;
        for (int m = 0; m < size(); m++) for (int i = 0; i < n; i++) s += sigmoid(logit(m, images, i, h));
        return s / (size() * (double) n);
    }

    /**
     * One generation's update: every discriminator takes {@code steps} SGD steps on pairs (an original image, a
     * candidate's image), drawn from the first {@link #TRAIN} of the samples; then held-out accuracy on the rest, and
     * the least accurate is replaced by a mutated copy of the most accurate.
     */
    void update(int generation, float[] original, List<float[]> candidates) {
        int n = original.length / d, cut = (int) (n * TRAIN);
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 31L * generation + 7);
        double[] h = new double[HIDDEN];
        for (int m = 0; m < size(); m++) {
            for (int s = 0; s < steps; s++) {
                int i = r.nextInt(cut);
                step(m, original, i, 1, h);
                step(m, candidates.get(r.nextInt(candidates.size())), r.nextInt(cut), 0, h);
            }
            // balanced: the original's images and the candidates' count equally
            int orig = 0, fake = 0, fakes = 0;
            for (int i = cut; i < n; i++) {
                if (logit(m, original, i, h) > 0) orig++;
                for (float[] c : candidates) {
                    if (logit(m, c, i, h) <= 0) fake++;
                    fakes++;
                }
            }
            double accOrig = orig / (double) (n - cut), accFake = fake / (double) Math.max(1, fakes);
            accuracy[m] = (accOrig + accFake) / 2;
        }
        int best = 0, worst = 0;
        for (int m = 1; m < size(); m++) {
            if (accuracy[m] > accuracy[best]) best = m;
            if (accuracy[m] < accuracy[worst]) worst = m;
        }
        if (best != worst) {
            w1.set(worst, mutate(w1.get(best), r));
            b1.set(worst, mutate(b1.get(best), r));
            w2.set(worst, mutate(w2.get(best), r));
            b2[worst] = b2[best];
            accuracy[worst] = accuracy[best];
        }
    }

    private static double[] mutate(double[] w, SplittableRandom r) {
        double[] out = w.clone();
        for (int i = 0; i < out.length; i++) out[i] += MUTATION * Encoding.gaussian(r);
        return out;
    }

    /** One SGD step of the logistic loss on image i of x with label y. */
    private void step(int m, float[] x, int i, int y, double[] h) {
        double g = sigmoid(logit(m, x, i, h)) - y;
        double[] w = w1.get(m), b = b1.get(m), v = w2.get(m);
        int o = i * d;
        for (int j = 0; j < HIDDEN; j++) {
            double gh = h[j] > 0 ? g * v[j] : 0;
            v[j] -= LR * g * h[j];
            if (gh == 0) continue;
            b[j] -= LR * gh;
            int wo = j * d;
            for (int q = 0; q < d; q++) w[wo + q] -= LR * gh * x[o + q];
        }
        b2[m] -= LR * g;
    }
}
