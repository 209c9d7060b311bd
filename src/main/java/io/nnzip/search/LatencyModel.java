package io.nnzip.search;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.prune.dep.ValueProbe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A candidate graph's latency, relative to the original's, predicted from what its layers compute: latency ratio ≈
 * c0 + Σ w_f · F_f(candidate) / F_f(original), with the features F = MACs of dense convolutions, of grouped
 * (depthwise) convolutions, of matrix products, and the elements every node writes (the memory traffic of the
 * element-wise ops), from shapes at batch 1. The weights are fitted, non-negative, to latency ratios measured in ONNX
 * Runtime on candidate graphs (random widths of the same model, and uniform ones), so the table is this machine's and
 * this runtime's. The search ranks and repairs genomes by the prediction; the chosen one is measured
 * ({@link WidthCalibration}).
 */
final class LatencyModel {
    static final String[] FEATURES = {"conv_macs", "grouped_conv_macs", "matmul_macs", "activations"};

    /** One measured candidate: its features (relative to the original's) and measured latency ratio. */
    record Sample(String keep, double[] features, double measured) {}

    final double[] base;
    /** Intercept, then one weight per feature (zero for a feature the original lacks). */
    final double[] coef;
    final List<Sample> samples;

    private LatencyModel(double[] base, double[] coef, List<Sample> samples) {
        this.base = base;
        this.coef = coef;
        this.samples = samples;
    }

    /** The absolute features of a graph at batch 1. */
    static double[] features(Model m) {
        Map<String, int[]> shapes = ValueProbe.shapes(m, 1);
        Graph g = m.graph();
        double[] f = new double[FEATURES.length];
        for (Node n : g.nodes()) {
            long mac = io.nnzip.prune.report.LayerCosts.macs(g, shapes, n);
            if (mac > 0) {
                boolean grouped = n.opType().equals("Conv") && n.has("group") && ((Number) n.attr("group").value()).longValue() > 1;
                f[n.opType().contains("Conv") ? grouped ? 1 : 0 : 2] += mac;
            }
            for (String out : n.outputs()) {
                int[] s = out.isEmpty() ? null : shapes.get(out);
                if (s != null) f[3] += Shapes.numel(s);
            }
        }
        return f;
    }


    /** Features of a candidate relative to the original's (0 where the original has none). */
    double[] relative(double[] abs) { return relative(abs, base); }

    private static double[] relative(double[] abs, double[] base) {
        double[] r = new double[abs.length];
        for (int i = 0; i < r.length; i++) r[i] = base[i] > 0 ? abs[i] / base[i] : 0;
        return r;
    }

    /** Predicted latency of the graph over the original's. */
    double predict(Model m) { return predictRelative(relative(features(m))); }

    double predictRelative(double[] rel) {
        double y = coef[0];
        for (int i = 0; i < rel.length; i++) y += coef[i + 1] * rel[i];
        return y;
    }

    /**
     * Measures {@code samples} random-width candidates and 3 uniform ones (keep 0.25, 0.5, 0.75) with the timer and
     * fits the model; the original itself is a sample of ratio 1 by definition.
     */
    static LatencyModel fit(Model original, Encoding enc, LatencyTimer timer, int samples, long seed, Consumer<String> log) {
        double[] base = features(original);
        List<Sample> data = new ArrayList<>();
        data.add(new Sample("original", relative(base, base), 1));
        SplittableRandom r = new SplittableRandom(seed * 0x632BE59BD9B4E019L + 17);
        List<double[]> genomes = new ArrayList<>();
        for (double s : new double[] {0.25, 0.5, 0.75}) genomes.add(enc.scaled(enc.full(), s));
        for (int i = 0; i < samples; i++) genomes.add(enc.random(r));
        long t0 = System.nanoTime();
        for (double[] g : genomes) {
            Model p = enc.prune(g).model();
            double measured = timer.ratio(p);
            data.add(new Sample(enc.describe(g).values().toString(), relative(features(p), base), measured));
        }
        LatencyModel lm = new LatencyModel(base, nnls(data), data);
        log.accept(String.format("search: latency model fitted to %d graphs measured in ONNX Runtime (%.1f s): %s, rms error %.3f",
                genomes.size(), (System.nanoTime() - t0) / 1e9, lm.describe(), lm.rmsError()));
        return lm;
    }

    /** Fits directly to given samples (tests, and a model read back). */
    static LatencyModel fit(double[] base, List<Sample> data) { return new LatencyModel(base, nnls(data), data); }

    /**
     * Least squares with every coefficient (intercept included) ≥ 0: the best unconstrained fit over every subset of
     * the columns whose coefficients all come out non-negative (2^5 subsets; exact for this size).
     */
    static double[] nnls(List<Sample> data) {
        int k = FEATURES.length + 1;
        double best = Double.POSITIVE_INFINITY;
        double[] bestCoef = new double[k];
        for (int mask = 1; mask < 1 << k; mask++) {
            final int bits = mask;
            int[] cols = java.util.stream.IntStream.range(0, k).filter(j -> (bits >> j & 1) == 1).toArray();
            double[] c = leastSquares(data, cols);
            if (c == null) continue;
            boolean ok = true;
            for (double v : c) ok &= v >= 0;
            if (!ok) continue;
            double[] full = new double[k];
            for (int j = 0; j < cols.length; j++) full[cols[j]] = c[j];
            double sse = 0;
            for (Sample s : data) {
                double e = predict(full, s.features()) - s.measured();
                sse += e * e;
            }
            if (sse < best - 1e-15) {
                best = sse;
                bestCoef = full;
            }
        }
        return bestCoef;
    }

    private static double predict(double[] coef, double[] rel) {
        double y = coef[0];
        for (int i = 0; i < rel.length; i++) y += coef[i + 1] * rel[i];
        return y;
    }

    private static double column(Sample s, int j) { return j == 0 ? 1 : s.features()[j - 1]; }

    /** Normal equations with a tiny ridge, solved by Gaussian elimination; null when singular. */
    private static double[] leastSquares(List<Sample> data, int[] cols) {
        int n = cols.length;
        double[][] a = new double[n][n + 1];
        for (Sample s : data) {
            for (int i = 0; i < n; i++) {
                double xi = column(s, cols[i]);
                for (int j = 0; j < n; j++) a[i][j] += xi * column(s, cols[j]);
                a[i][n] += xi * s.measured();
            }
        }
        for (int i = 0; i < n; i++) a[i][i] += 1e-9;
        for (int p = 0; p < n; p++) {
            int piv = p;
            for (int i = p + 1; i < n; i++) if (Math.abs(a[i][p]) > Math.abs(a[piv][p])) piv = i;
            double[] t = a[p];
            a[p] = a[piv];
            a[piv] = t;
            if (Math.abs(a[p][p]) < 1e-12) return null;
            for (int i = 0; i < n; i++) {
                if (i == p) continue;
                double f = a[i][p] / a[p][p];
                for (int j = p; j <= n; j++) a[i][j] -= f * a[p][j];
            }
        }
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = a[i][n] / a[i][i];
        return x;
    }

    /** Root-mean-square difference between predicted and measured ratios over the fitting samples. */
    double rmsError() {
        double s = 0;
        for (Sample x : samples) {
            double e = predictRelative(x.features()) - x.measured();
            s += e * e;
        }
        return Math.sqrt(s / samples.size());
    }

    String describe() {
        StringBuilder b = new StringBuilder(String.format("ratio = %.3f", coef[0]));
        for (int i = 0; i < FEATURES.length; i++) if (coef[i + 1] != 0) b.append(String.format(" + %.3f·%s", coef[i + 1], FEATURES[i]));
        return b.toString();
    }

    Map<String, Object> toJson() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("intercept", coef[0]);
        Map<String, Object> w = new LinkedHashMap<>();
        for (int i = 0; i < FEATURES.length; i++) w.put(FEATURES[i], coef[i + 1]);
        j.put("weights", w);
        j.put("original_features", Map.of(FEATURES[0], base[0], FEATURES[1], base[1], FEATURES[2], base[2], FEATURES[3], base[3]));
        j.put("samples", samples.size());
        j.put("rms_error", rmsError());
        j.put("measured", samples.stream().map(s -> Map.<String, Object>of("keep", s.keep(), "measured", s.measured(), "predicted", predictRelative(s.features()))).toList());
        return j;
    }
}
