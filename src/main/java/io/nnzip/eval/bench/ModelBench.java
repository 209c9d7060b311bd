package io.nnzip.eval.bench;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Steady-state forward-pass time of a whole model: our {@link Executor} (on the {@link Fusion}-fused graph) against
 * ONNX Runtime on the original model, same feeds, same thread count, timed in interleaved rounds after a pause each.
 * A round is one pass (a cold call: both runtimes' worker threads have parked in the pause) or, with {@code roundMs}
 * above 0, back-to-back passes for at least that long (steady throughput, as in a serving loop), timed per pass.
 * Also reports the largest absolute difference between the two outputs as a sanity check.
 */
public final class ModelBench {
    private ModelBench() {}

    public static Map<String, Object> run(Model m, Map<String, Tensor> feeds, int threads, int iters, double warmupMs, double roundMs) {
        Model fused = Fusion.forInference(m);
        Map<String, Object> row = new LinkedHashMap<>();
        try (Parallel par = new Parallel(threads); io.nnzip.eval.OrtRunner.Prepared ort = io.nnzip.eval.OrtRunner.timed(m, threads, feeds)) {
            Executor ex = new Executor(fused, par);
            row.put("max_abs_diff", maxAbsDiff(ex.run(feeds), m, feeds, threads));
            Timer.Result[] res = Timer.interleaved(new Runnable[] {() -> ex.run(feeds), ort::run}, warmupMs, iters, roundMs);
            row.put("threads", threads);
            row.put("round_ms", roundMs);
            row.put("engine_ms", round3(res[0].bestMs()));
            row.put("engine_ms_median", round3(res[0].medianMs()));
            row.put("ort_ms", round3(res[1].bestMs()));
            row.put("ort_ms_median", round3(res[1].medianMs()));
            row.put("ratio", round3(res[0].bestMs() / res[1].bestMs()));
            row.put("ratio_median", round3(res[0].medianMs() / res[1].medianMs()));
            if (threads == 1) {
                // ORT with one intra-op thread runs on the calling thread, so thread CPU time compares like with like
                row.put("engine_cpu_ms", round3(res[0].bestCpuMs()));
                row.put("ort_cpu_ms", round3(res[1].bestCpuMs()));
                row.put("ratio_cpu", round3(res[0].bestCpuMs() / res[1].bestCpuMs()));
            }
            row.put("fused_nodes", m.graph().nodes().size() - fused.graph().nodes().size());
        }
        return row;
    }

    private static double maxAbsDiff(Map<String, Tensor> ours, Model m, Map<String, Tensor> feeds, int threads) {
        double d = 0;
        try (OrtRunner ort = new OrtRunner(m, threads)) {
            Map<String, Tensor> want = ort.run(feeds);
            for (Map.Entry<String, Tensor> e : want.entrySet()) {
                Tensor got = ours.get(e.getKey());
                if (got == null || got.size() != e.getValue().size()) return Double.NaN;
                for (int i = 0; i < got.size(); i++) d = Math.max(d, Math.abs(got.getDouble(i) - e.getValue().getDouble(i)));
            }
        }
        return d;
    }

    static double round3(double v) { return Math.round(v * 1000) / 1000.0; }
}
