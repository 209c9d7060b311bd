package io.nnzip.codec.rd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sensitivity search on a synthetic CNN with a probe whose "accuracy" is top-1 agreement with the original model
 * (run in ONNX Runtime on fixed random inputs) and whose divergence is KL(original ‖ model) of the softmax outputs.
 */
class SensitivitySearchTest {
    private static final int N = 300;

    static OutputProbe probe(Model reference) {
        Random r = new Random(11);
        float[] x = new float[N * 784];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        Map<String, Tensor> feed = Map.of("input", Tensor.of(x, N, 1, 28, 28));
        double[][] ref = logProbs(reference, feed);
        return new OutputProbe() {
            @Override public double accuracy(Model m) { return measure(m)[0]; }

            @Override public double reference(Model m) { return 1.0; }

            @Override public double[] measure(Model m) {
                double[][] lp = logProbs(m, feed);
                int same = 0;
                double kl = 0;
                for (int i = 0; i < N; i++) {
                    if (argmax(lp[i]) == argmax(ref[i])) same++;
                    for (int j = 0; j < 10; j++) kl += Math.exp(ref[i][j]) * (ref[i][j] - lp[i][j]);
                }
                return new double[] {(double) same / N, kl / N};
            }
        };
    }

    static double[][] logProbs(Model m, Map<String, Tensor> feed) {
        try (OrtRunner ort = new OrtRunner(m, 1)) {
            float[] y = ort.run(feed).get("logits").floats();
            double[][] out = new double[N][10];
            for (int i = 0; i < N; i++) {
                double mx = Double.NEGATIVE_INFINITY, s = 0;
                for (int j = 0; j < 10; j++) mx = Math.max(mx, y[i * 10 + j]);
                for (int j = 0; j < 10; j++) s += Math.exp(y[i * 10 + j] - mx);
                for (int j = 0; j < 10; j++) out[i][j] = y[i * 10 + j] - mx - Math.log(s);
            }
            return out;
        }
    }

    static int argmax(double[] v) {
        int b = 0;
        for (int j = 1; j < v.length; j++) if (v[j] > v[b]) b = j;
        return b;
    }

    @Test
    void noDropAllowedKeepsEveryPredictionAndALooserBoundNeverCodesLarger() {
        Model m = SyntheticModels.cnn(5, 4, 8, 32);
        OutputProbe p = probe(m);
        CodecOptions o = CodecOptions.defaults();
        MaxDropSearch.Result tight = SensitivitySearch.search(m, p, 0.0, o, s -> {});
        MaxDropSearch.Result loose = SensitivitySearch.search(m, p, 4.0, o, s -> {});
        for (var r : new MaxDropSearch.Result[] {tight, loose}) {
            // What the search reports is what the receiver of the stream measures.
            Model rec = NnzCodec.decode(NnzCodec.encode(m, o.withOverrides(r.qps())));
            assertEquals(r.finalAccuracy(), p.accuracy(rec), 1e-12, "reproduced " + r);
        }
        assertEquals(1.0, tight.finalAccuracy(), "no prediction may change: " + tight);
        assertTrue(loose.finalAccuracy() >= 0.96, "loose " + loose);
        int tb = NnzCodec.encode(m, o.withOverrides(tight.qps())).length, lb = NnzCodec.encode(m, o.withOverrides(loose.qps())).length;
        assertTrue(lb <= tb, "4-point bound " + lb + " bytes " + loose + " vs 0-point bound " + tb + " bytes " + tight);
        assertTrue(loose.qps().values().stream().anyMatch(q -> q > CodecOptions.DEFAULT_QP), "coarser than the default somewhere: " + loose.qps());
    }

    @Test
    void trialsMeasuredSeveralAtATimeGiveTheOneAtATimeSearch() {
        Model m = SyntheticModels.cnn(5, 4, 8, 32);
        OutputProbe p = probe(m);
        CodecOptions o = CodecOptions.defaults();
        for (double drop : new double[] {0.5, 4.0}) {
            MaxDropSearch.Result one = SensitivitySearch.search(m, p, drop, o, s -> {});
            for (int width : new int[] {2, 5}) {
                int[] rounds = {0}, measured = {0};
                SensitivitySearch.Trials local = SensitivitySearch.Trials.local(m, p, o, null);
                SensitivitySearch.Trials batched = new SensitivitySearch.Trials() {
                    @Override public int width() { return width; }

                    @Override public java.util.List<double[]> single(java.util.List<String> weights, int qp) { return local.single(weights, qp); }

                    @Override public double[] accuracies(java.util.List<Map<String, Integer>> allocations) {
                        assertTrue(allocations.size() <= width && !allocations.isEmpty(), "batch of " + allocations.size());
                        rounds[0]++;
                        measured[0] += allocations.size();
                        return local.accuracies(allocations);
                    }
                };
                MaxDropSearch.Result many = SensitivitySearch.search(m, p.reference(m), drop, o, batched, s -> {});
                assertEquals(one, many, "width " + width + ", bound " + drop);
                int decisions = one.evaluations() - 1 - SensitivitySearch.weights(m).size();
                // speculation paid: fewer rounds than one-at-a-time decisions, and some trials ran ahead of need
                assertTrue(rounds[0] < decisions, rounds[0] + " rounds for " + decisions + " decisions");
                assertTrue(measured[0] >= decisions - 1, measured[0] + " trials for " + decisions + " decisions");
            }
        }
    }

    @Test
    void theLambdaPathRunsFromFineToCoarse() {
        // Two layers with made-up (bytes, divergence) tables, non-convex on purpose.
        Random r = new Random(3);
        Map<String, double[][]> options = new java.util.LinkedHashMap<>();
        for (String w : new String[] {"a", "b"}) {
            double[][] t = new double[45][];
            double bytes = 1e5, div = 1e-9;
            for (int i = 0; i < t.length; i++) {
                t[i] = new double[] {bytes, div};
                bytes *= 0.8 + 0.15 * r.nextDouble();
                div *= 1.1 + r.nextDouble();
            }
            options.put(w, t);
        }
        java.util.List<Map<String, Integer>> path = SensitivitySearch.path(options);
        assertTrue(path.size() > 10, "path of " + path.size());
        double prevBytes = Double.POSITIVE_INFINITY, prevDiv = 0;
        for (Map<String, Integer> a : path) {
            double b = 0, d = 0;
            for (var e : a.entrySet()) {
                double[] opt = options.get(e.getKey())[e.getValue() + 32];
                b += opt[0];
                d += opt[1];
            }
            assertTrue(b <= prevBytes && d >= prevDiv, "not monotone at " + a);
            prevBytes = b;
            prevDiv = d;
        }
    }
}
