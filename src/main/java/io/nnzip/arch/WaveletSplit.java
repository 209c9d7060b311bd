package io.nnzip.arch;

import io.nnzip.ir.Tensor;
import io.nnzip.util.linalg.Matrix;
import io.nnzip.util.linalg.SymmetricEigen;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The starting filters of the wavelet-input encoder: one 2×2, stride-2 filter per input channel for the low- and one
 * for the high-frequency image. Without images: the Haar average and diagonal detail. With calibration images: the
 * two leading eigenvectors of the 2×2 patches' second-moment matrix (the Karhunen–Loève transform of the patches).
 * For a linear encoder and decoder that pair is the split WAE's losses ask for: no other two filters reconstruct the
 * patches with less squared error, and among unit-norm filters that do, the second has the least energy. Haar's
 * diagonal detail is usually the weakest of the three Haar details, so it throws away what the other two carry.
 *
 * @param low  filters (C,1,2,2), each summing to 1 so the low image keeps the input's scale
 * @param high filters (C,1,2,2) of unit norm
 */
record WaveletSplit(float[] low, float[] high, String init, double lowEnergy, double highEnergy, double lostEnergy) {

    Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("encoder_init", init);
        if (Double.isNaN(lostEnergy)) return m;
        // shares of the patches' energy (summed over channels) in each image and in what two filters cannot reconstruct
        m.put("low_energy_share", lowEnergy);
        m.put("high_energy_share", highEnergy);
        m.put("unreconstructed_energy_share", lostEnergy);
        return m;
    }

    static WaveletSplit haar(int c) {
        float[] avg = new float[c * 4], diag = new float[c * 4];
        for (int ch = 0; ch < c; ch++) {
            java.util.Arrays.fill(avg, ch * 4, ch * 4 + 4, 0.25f);
            diag[ch * 4] = 0.5f;
            diag[ch * 4 + 1] = -0.5f;
            diag[ch * 4 + 2] = -0.5f;
            diag[ch * 4 + 3] = 0.5f;
        }
        return new WaveletSplit(avg, diag, "haar", Double.NaN, Double.NaN, Double.NaN);
    }

    /**
     * The two filters per channel that complete {@code low} and {@code high} to a basis of the 2×2 patches, (C,2,2,2):
     * the remaining eigenvectors of the patches' second moments with images, Haar's horizontal and vertical details
     * without. With all four, the half-size images carry everything the input does.
     */
    static float[] rest(int c, Tensor images) {
        float[] r = new float[c * 8];
        if (images == null) {
            for (int ch = 0; ch < c; ch++) {
                float[] hv = {0.5f, 0.5f, -0.5f, -0.5f, 0.5f, -0.5f, 0.5f, -0.5f};
                System.arraycopy(hv, 0, r, ch * 8, 8);
            }
            return r;
        }
        double[][] m = secondMoments(images);
        for (int ch = 0; ch < c; ch++) {
            SymmetricEigen e = SymmetricEigen.of(new Matrix(4, 4, m[ch].clone()));
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 4; k++) r[ch * 8 + j * 4 + k] = (float) e.vectors.get(k, 2 + j);
        }
        return r;
    }

    /** Haar energies measured on {@code images} too, so the two starts can be compared. */
    static WaveletSplit haar(int c, Tensor images) {
        WaveletSplit h = haar(c);
        double[][] m = secondMoments(images);
        return withEnergies(h.low, h.high, "haar", m);
    }

    /** @param images (N,C,H,W) with even H and W, as the network reads them (normalized) */
    static WaveletSplit klt(Tensor images) {
        double[][] m = secondMoments(images);
        int c = m.length;
        float[] low = new float[c * 4], high = new float[c * 4];
        for (int ch = 0; ch < c; ch++) {
            SymmetricEigen e = SymmetricEigen.of(new Matrix(4, 4, m[ch].clone()));
            double sum = 0;
            for (int k = 0; k < 4; k++) sum += e.vectors.get(k, 0);
            // a leading vector whose entries cancel (no common level in the patches) keeps unit norm instead
            double scale = Math.abs(sum) > 1e-3 ? 1 / sum : 1;
            double sign = 1;
            for (int k = 0; k < 4; k++) if (Math.abs(e.vectors.get(k, 1)) > 1e-6) { sign = Math.signum(e.vectors.get(k, 1)); break; }
            for (int k = 0; k < 4; k++) {
                low[ch * 4 + k] = (float) (e.vectors.get(k, 0) * scale);
                high[ch * 4 + k] = (float) (e.vectors.get(k, 1) * sign);
            }
        }
        return withEnergies(low, high, "klt", m);
    }

    private static WaveletSplit withEnergies(float[] low, float[] high, String init, double[][] m) {
        double total = 0, el = 0, eh = 0, lost = 0;
        for (int ch = 0; ch < m.length; ch++) {
            for (int k = 0; k < 4; k++) total += m[ch][k * 4 + k];
            double[] l = unit(low, ch), h = unit(high, ch);
            double ql = quad(m[ch], l, l), qh = quad(m[ch], h, h), qlh = quad(m[ch], l, h), lh = dot(l, h);
            el += ql;
            eh += qh;
            // the energy of the patches' projection onto span{l, h}: what a linear decoder can rebuild from the two images
            double det = 1 - lh * lh, kept = det < 1e-12 ? ql : (ql + qh - 2 * lh * qlh) / det;
            double tr = 0;
            for (int k = 0; k < 4; k++) tr += m[ch][k * 4 + k];
            lost += tr - kept;
        }
        return new WaveletSplit(low, high, init, el / total, eh / total, lost / total);
    }

    private static double[] unit(float[] w, int ch) {
        double[] v = new double[4];
        double n = 0;
        for (int k = 0; k < 4; k++) n += (double) w[ch * 4 + k] * w[ch * 4 + k];
        for (int k = 0; k < 4; k++) v[k] = w[ch * 4 + k] / Math.sqrt(n);
        return v;
    }

    private static double quad(double[] m, double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) s += a[i] * m[i * 4 + j] * b[j];
        return s;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < 4; i++) s += a[i] * b[i];
        return s;
    }

    /** Per channel, the 4×4 mean of p·pᵀ over the non-overlapping 2×2 patches p, entries in (row, column) order. */
    static double[][] secondMoments(Tensor images) {
        int n = (int) images.dim(0), c = (int) images.dim(1), h = (int) images.dim(2), w = (int) images.dim(3);
        float[] x = images.floats();
        double[][] m = new double[c][16];
        double[] p = new double[4];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++) {
                int base = (i * c + ch) * h * w;
                for (int y = 0; y + 1 < h; y += 2)
                    for (int xx = 0; xx + 1 < w; xx += 2) {
                        p[0] = x[base + y * w + xx];
                        p[1] = x[base + y * w + xx + 1];
                        p[2] = x[base + (y + 1) * w + xx];
                        p[3] = x[base + (y + 1) * w + xx + 1];
                        for (int a = 0; a < 4; a++) for (int b = 0; b < 4; b++) m[ch][a * 4 + b] += p[a] * p[b];
                    }
            }
        long patches = (long) n * (h / 2) * (w / 2);
        for (double[] mc : m) for (int k = 0; k < 16; k++) mc[k] /= patches;
        return m;
    }
}
