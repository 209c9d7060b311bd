package io.nnzip.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.rd.AccuracyProbe;
import io.nnzip.codec.rd.BitBudget;
import io.nnzip.codec.rd.MaxDropSearch;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MaxDropSearchTest {
    /** "Accuracy" = agreement of the model's top-1 class with the original model's, in ONNX Runtime, on fixed inputs. */
    static AccuracyProbe agreementWith(Model reference, int n) {
        Random r = new Random(7);
        float[] x = new float[n * 784];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        Map<String, Tensor> feed = Map.of("input", Tensor.of(x, n, 1, 28, 28));
        int[] want = top1(reference, feed, n);
        return m -> {
            int[] got = top1(m, feed, n);
            int same = 0;
            for (int i = 0; i < n; i++) if (got[i] == want[i]) same++;
            return (double) same / n;
        };
    }

    static int[] top1(Model m, Map<String, Tensor> feed, int n) {
        try (OrtRunner ort = new OrtRunner(m, 1)) {
            float[] y = ort.run(feed).get("logits").floats();
            int[] out = new int[n];
            for (int i = 0; i < n; i++) for (int j = 1; j < 10; j++) if (y[i * 10 + j] > y[i * 10 + out[i]]) out[i] = j;
            return out;
        }
    }

    @Test
    void searchCoarsensStepsWithinTheBoundAndTheEncoderReproducesIt() {
        Model m = SyntheticModels.cnn(1, 4, 8, 32);
        AccuracyProbe probe = agreementWith(m, 300);
        MaxDropSearch.Result r = MaxDropSearch.search(m, probe, 2.0, CodecOptions.defaults(), s -> {});
        assertEquals(1.0, r.baseAccuracy());
        assertTrue(r.finalAccuracy() >= 0.98, "final " + r.finalAccuracy());
        assertTrue(r.qps().values().stream().anyMatch(q -> q > CodecOptions.DEFAULT_QP), "some layer got coarser: " + r.qps());
        Model decoded = NnzCodec.decode(NnzCodec.encode(m, CodecOptions.defaults().withOverrides(r.qps())));
        assertEquals(r.finalAccuracy(), probe.accuracy(decoded), 1e-12, "the encoder codes exactly what the search measured");
    }

    @Test
    void bitBudgetIsRespected() {
        Model m = SyntheticModels.cnn(2, 8, 16, 64);
        for (double bits : new double[] {1.5, 3}) {
            int qp = BitBudget.findQp(m, bits, CodecOptions.defaults());
            @SuppressWarnings("unchecked")
            Map<String, Object> sum = (Map<String, Object>) NnzInspector.inspect(NnzCodec.encode(m, CodecOptions.ofQp(qp)), "t").get("summary");
            long quantized = 0;
            for (var e : m.graph().initializers().entrySet()) if (e.getValue().rank() >= 2 && e.getValue().size() >= CodecOptions.MIN_QUANTIZED) quantized += e.getValue().size();
            // Total tensor bits per quantized weight (side info included) stays near the budget.
            double actual = ((Number) sum.get("tensor_bytes")).doubleValue() * 8 / quantized;
            assertTrue(actual <= bits * 1.1, "budget " + bits + " -> qp " + qp + " -> " + actual + " bits/weight");
        }
    }
}
