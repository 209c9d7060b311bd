package io.nnzip.eval.bench;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.Sgemm;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Square SGEMM throughput, ours ({@link Sgemm}) against ONNX Runtime's MatMul on the same shape in the same run:
 * <pre>A: (S,S) input, B: (S,S) weight -> C: (S,S)</pre>
 * ORT runs a one-node MatMul model whose B is an initializer (so ORT may pre-pack it, as it does for real weights).
 */
public final class GemmBench {
    private GemmBench() {}

    public static List<Map<String, Object>> run(int[] sizes, int[] threads, int rounds, double roundMs) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int s : sizes)
            for (int t : threads) rows.add(one(s, t, rounds, roundMs));
        return rows;
    }

    static Map<String, Object> one(int s, int threads, int rounds, double roundMs) {
        SplittableRandom r = new SplittableRandom(s);
        float[] a = random(r, s * s), b = random(r, s * s), c = new float[s * s];
        GraphBuilder g = new GraphBuilder("matmul");
        String x = g.input("A", DType.FLOAT, s, s);
        String w = g.init("B", b, s, s);
        String y = g.op("MatMul", x, w);
        g.output(g.rename(y, "C"), DType.FLOAT, s, s);
        Model m = g.build(17);
        double flop = 2.0 * s * s * s;
        try (Parallel par = new Parallel(threads); io.nnzip.eval.OrtRunner.Prepared ort = io.nnzip.eval.OrtRunner.timed(m, threads, Map.of("A", Tensor.of(a, s, s)))) {
            Runnable ours = () -> Sgemm.gemm(false, false, s, s, s, 1f, a, 0, s, b, 0, s, 0f, c, 0, s, par);
            Timer.Result[] res = Timer.interleaved(new Runnable[] {ours, ort::run}, 1500, rounds, roundMs);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("size", s);
            row.put("threads", threads);
            putRates(row, res[0], res[1], flop, threads);
            return row;
        }
    }

    /**
     * Best-round and median-round GFLOP/s of both sides and the ratio ours/ORT (from the best rounds); with one thread
     * (ORT then runs on the calling thread too) also the rates by calling-thread CPU time, robust on a busy machine.
     */
    static void putRates(Map<String, Object> row, Timer.Result ours, Timer.Result ort, double flop, int threads) {
        row.put("engine_gflops", round1(flop / ours.bestMs() / 1e6));
        row.put("engine_gflops_median", round1(flop / ours.medianMs() / 1e6));
        row.put("ort_gflops", round1(flop / ort.bestMs() / 1e6));
        row.put("ort_gflops_median", round1(flop / ort.medianMs() / 1e6));
        row.put("ratio", Math.round(ort.bestMs() / ours.bestMs() * 1000) / 1000.0);
        if (threads == 1) {
            row.put("engine_gflops_cpu", round1(flop / ours.bestCpuMs() / 1e6));
            row.put("ort_gflops_cpu", round1(flop / ort.bestCpuMs() / 1e6));
            row.put("ratio_cpu", Math.round(ort.bestCpuMs() / ours.bestCpuMs() * 1000) / 1000.0);
        }
    }

    static double round1(double v) { return Math.round(v * 10) / 10.0; }

    static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }
}
