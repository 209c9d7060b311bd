package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.calib.LabeledData;
import io.nnzip.quant.qat.ActivationQat;
import io.nnzip.quant.qat.Int8Qat;
import io.nnzip.quant.report.OrtFusion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Int8 QAT with fake-quantized activations: the exported QDQ model, as ONNX Runtime runs it (integer kernels),
 * computes what the trained simulation computed on nnzip's engine, and training moved the ranges it trains.
 */
class ActivationQatTest {
    @ParameterizedTest
    @ValueSource(strings = {"learned", "ema"})
    void exportRunsInOrtAsTheSimulationTrained(String ranges) {
        Model m = FashionCnnFixture.random(11);
        LabeledData calib = LabeledData.of(io.nnzip.data.Datasets.load("fashion-mnist", "train"), io.nnzip.data.Normalization.resolve(null, m), m, 128);
        QuantConfig cfg = new QuantConfig();
        cfg.qat = 1;
        cfg.qatRanges = ranges;
        cfg.trainLimit = 512;
        cfg.lr = 1e-3f;
        cfg.threads = 1;
        StaticInt8Quantizer q = new StaticInt8Quantizer(m, cfg, calib.batches(64));
        Map<String, QuantParams> before = q.quantize().activationParams();
        List<String> log = new ArrayList<>();
        ActivationQat.Result trained = Int8Qat.run(q, cfg, io.nnzip.data.Datasets.load("fashion-mnist", "train"), io.nnzip.data.Normalization.resolve(null, q.prepared()), log::add);
        assertTrue(log.stream().anyMatch(l -> l.startsWith("QAT epoch 1/1")), log.toString());
        int moved = 0;
        for (Map.Entry<String, QuantParams> e : trained.activations().entrySet()) {
            QuantParams b = before.get(e.getKey());
            if (b.scale()[0] != e.getValue().scale()[0]) moved++;
        }
        assertNotEquals(0, moved, "training left every activation scale where calibration put it");

        StaticInt8Quantizer.Result r = q.quantize();
        assertEquals(trained.activations().keySet().stream().map(t -> trained.activations().get(t).scale()[0]).toList(),
                trained.activations().keySet().stream().map(t -> r.activationParams().get(t).scale()[0]).toList(), "the export uses the trained scales");
        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(r.model(), 1);
        assertEquals(2, ops.getOrDefault("QLinearConv", 0), "ORT fuses the int8 convs: " + ops);

        Tensor x = LabeledData.of(io.nnzip.data.Datasets.load("fashion-mnist", "test"), io.nnzip.data.Normalization.resolve(null, m), m, 64).slice(0, 64);
        float[] ort, sim;
        try (OrtRunner o = new OrtRunner(r.model(), 1)) {
            ort = o.run(Map.of("input", x)).get("output").floats();
        }
        try (Parallel p = new Parallel(1)) {
            sim = new Executor(trained.simulation(), p).run(Map.of("input", x)).get("output").floats();
        }
        double maxAbs = 0, range = 0;
        int agree = 0;
        for (int i = 0; i < ort.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(ort[i] - sim[i]));
            range = Math.max(range, Math.abs(sim[i]));
        }
        for (int s = 0; s < 64; s++) if (QdqSimulationTest.argmax(ort, s) == QdqSimulationTest.argmax(sim, s)) agree++;
        // the export adds what training does not simulate: int32 bias rounding and the kernels' requantization
        assertTrue(maxAbs < 0.03 * range, "max |ORT - simulation| = " + maxAbs + " of range " + range);
        assertTrue(agree >= 63, "top-1 agreement " + agree + "/64");
    }
}
