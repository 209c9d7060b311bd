package io.nnzip.engine;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Executor runs that recycle intermediate buffers and cache packed Gemm weights, against a double-precision
 * reference: a chain of Gemms (same-sized intermediates, so buffers are reused within and across runs), weights
 * changed in place between runs (as an optimizer does, which bumps {@link io.nnzip.ir.WeightWrites}: cached weight forms
 * re-check their contents only after a bump), outputs of earlier runs that must stay intact, an output
 * fed back in as the next run's input, and a kept intermediate.
 */
class ExecutorBufferTest {
    static final int M = 33, K = 300, N = 300;

    @Test
    void recycledBuffersAndCachedWeightsStayCorrect() {
        for (int threads = 1; threads <= 2; threads++) {
            float[] w1 = ramp(N * K, 0.05f, 0.3), w2 = ramp(N * N, 0.05f, 1.1), w3 = ramp(N * N, 0.05f, 2.3), bias = ramp(N, 0.5f, 0.7);
            GraphBuilder b = new GraphBuilder("chain");
            String x = b.input("x", DType.FLOAT, M, K);
            String h1 = b.op("Gemm", new String[] {x, b.init("w1", w1, N, K), b.init("b", bias, N)}, Attribute.of("transB", 1L));
            String h2 = b.op("Relu", b.op("Gemm", h1, b.init("w2", w2, N, N)));
            String y = b.op("Gemm", h2, b.init("w3", w3, N, N), Attribute.of("transB", 1L), Attribute.of("alpha", 0.5f));
            b.output(y, DType.FLOAT, M, N);
            Model m = b.build(17);
            try (Parallel par = new Parallel(threads)) {
                Executor ex = new Executor(Fusion.forInference(m), par);
                float[] in = ramp(M * K, 1f, 0.9);
                Tensor first = ex.run(Map.of("x", Tensor.of(in, M, K))).get(y);
                double[] want1 = reference(in, w1, bias, w2, w3);
                check(first.floats(), want1, "run 1");
                // optimizer-style in-place update, then a new input: the packed weights and the buffers must follow
                for (int i = 0; i < w1.length; i += 5) w1[i] -= 0.01f * (i % 7);
                for (int i = 0; i < w3.length; i += 3) w3[i] += 0.02f;
                io.nnzip.ir.WeightWrites.bump();
                float[] in2 = ramp(M * K, 1f, 4.2);
                Map<String, Tensor> second = ex.run(Map.of("x", Tensor.of(in2, M, K)), List.of(h1));
                check(second.get(y).floats(), reference(in2, w1, bias, w2, w3), "run 2 after a weight update");
                check(first.floats(), want1, "run 1's output after run 2");
                // an output fed back in as an input (K == N): the caller owns it, it must not be recycled under it
                float[] fed = second.get(y).floats().clone();
                Tensor third = ex.run(Map.of("x", second.get(y))).get(y);
                check(second.get(y).floats(), toDouble(fed), "fed-back output");
                check(third.floats(), reference(fed, w1, bias, w2, w3), "run 3");
                check(second.get(h1).floats(), gemm(in2, w1, bias, true, false), "kept intermediate");
            }
        }
    }

    static float[] ramp(int n, float scale, double phase) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (Math.sin(i * 0.61 + phase) * scale);
        return f;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    // (M,K) · op(w) + bias, w: (N,K) when transB else (K,N); square N×N for the later layers
    static double[] gemm(float[] a, float[] w, float[] bias, boolean transB, boolean relu) {
        int k = a.length / M;
        double[] y = new double[M * N];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double s = bias == null ? 0 : bias[j];
                for (int p = 0; p < k; p++) s += (double) a[i * k + p] * w[transB ? j * k + p : p * N + j];
                y[i * N + j] = relu ? Math.max(0, s) : s;
            }
        return y;
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    static double[] reference(float[] x, float[] w1, float[] bias, float[] w2, float[] w3) {
        float[] h1 = toFloat(gemm(x, w1, bias, true, false)), h2 = toFloat(gemm(h1, w2, null, false, true));
        double[] y = gemm(h2, w3, null, true, false);
        for (int i = 0; i < y.length; i++) y[i] *= 0.5;
        return y;
    }

    static void check(float[] got, double[] want, String what) {
        for (int i = 0; i < want.length; i++)
            if (Math.abs(got[i] - want[i]) > 1e-3 * (1 + Math.abs(want[i])))
                throw new AssertionError(what + ": [" + i + "] = " + got[i] + ", expected " + want[i]);
    }
}
