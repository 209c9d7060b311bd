package io.nnzip.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's default step rule: one absolute step for every weight tensor. The steps are read back from the decoded
 * model (the smallest nonzero magnitude of a tensor coded at rounding to nearest is its step) and compared with
 * σ_all · 2^(QP/4) computed here from the original weights, so neither side reuses the encoder's own arithmetic.
 */
class EqualStepsTest {
    @TempDir
    Path dir;

    private static String run(String... args) { return CodecCliTest.run(args); }

    private static Map<String, Double> sigmas(Model m) {
        Map<String, Double> s = new TreeMap<>();
        m.graph().initializers().forEach((k, t) -> {
            if (t.dtype() != DType.FLOAT || t.rank() < 2 || t.size() < CodecOptions.MIN_QUANTIZED) return;
            double a = 0, aa = 0;
            for (float v : t.floats()) {
                a += v;
                aa += (double) v * v;
            }
            s.put(k, Math.sqrt(aa / t.size() - (a / t.size()) * (a / t.size())));
        });
        return s;
    }

    private static double step(Tensor t) {
        double min = Double.POSITIVE_INFINITY;
        for (float v : t.floats()) if (v != 0) min = Math.min(min, Math.abs(v));
        return min;
    }

    private Model coded(Path onnx, String name, String... extra) throws Exception {
        Path nnz = dir.resolve(name + ".nnz"), back = dir.resolve(name + ".onnx");
        String[] args = new String[6 + extra.length];
        System.arraycopy(new String[] {"encode", onnx.toString(), "-o", nnz.toString(), "--qp", "-4"}, 0, args, 0, 6);
        System.arraycopy(extra, 0, args, 6, extra.length);
        run(args);
        run("decode", nnz.toString(), "-o", back.toString());
        return OnnxReader.read(back);
    }

    @Test
    void defaultStepIsOneAbsoluteStepAndNoEqualStepsRestoresPerTensorSteps() throws Exception {
        Model m = SyntheticModels.cnn(5, 8, 16, 32);
        // spread the tensors' scales over a factor 40 so per-tensor and equal steps differ clearly
        double f = 0.2;
        for (var e : new TreeMap<>(m.graph().initializers()).entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() != DType.FLOAT || t.rank() < 2 || t.size() < CodecOptions.MIN_QUANTIZED) continue;
            float[] v = t.floats().clone();
            for (int i = 0; i < v.length; i++) v[i] *= (float) f;
            m.graph().initializers().put(e.getKey(), Tensor.of(v, t.shape()));
            f *= 6;
        }
        Path onnx = dir.resolve("m.onnx");
        OnnxWriter.write(m, onnx);
        Map<String, Double> sd = sigmas(m);
        assertTrue(sd.size() >= 3, sd.toString());
        double num = 0, den = 0;
        for (var e : sd.entrySet()) {
            long n = m.graph().initializer(e.getKey()).size();
            num += e.getValue() * e.getValue() * n;
            den += n;
        }
        double all = Math.sqrt(num / den) * Math.pow(2, -1);

        Model eq = coded(onnx, "eq", "--rounding", "0.5");
        Model per = coded(onnx, "per", "--rounding", "0.5", "--no-equal-steps");
        for (String k : sd.keySet()) {
            double se = step(eq.graph().initializer(k)), sp = step(per.graph().initializer(k));
            // whole QPs: equal steps agree within 2^(1/8) (±9 %) of the one absolute step
            assertTrue(Math.abs(Math.log(se / all)) <= Math.log(2) / 8 + 1e-6, k + ": step " + se + " vs sigma_all/2 = " + all);
            assertEquals(sd.get(k) / 2, sp, 1e-3 * sp, k + ": per-tensor step");
        }
        // lossless ignores the default rule instead of refusing it
        run("encode", onnx.toString(), "-o", dir.resolve("l.nnz").toString(), "--lossless");
        // the old rule is what the recipe of --no-equal-steps says: no per-tensor QPs
        String rec = run("encode", onnx.toString(), "-o", dir.resolve("r.nnz").toString(), "--no-equal-steps", "--json");
        assertFalse(rec.contains("qp["), rec);
    }
}
