package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.calib.LabeledData;
import io.nnzip.quant.qdq.QdqWriter;
import io.nnzip.quant.report.OrtFusion;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The QDQ model as ONNX Runtime runs it (fused into QLinearConv / QGemm) against nnzip's own simulation of the
 * same quantization: the float graph on nnzip's engine with dequantized weights and int32 biases, and every
 * quantized activation passed through fake-quant (quantize + dequantize in float) as it is produced.
 */
class QdqSimulationTest {
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void ortMatchesFakeQuantSimulation(boolean floatShallow) {
        Model m = FashionCnnFixture.random(7);
        LabeledData calib = LabeledData.of(io.nnzip.data.Datasets.load("fashion-mnist", "train"), io.nnzip.data.Normalization.resolve(null, m), m, 128);
        QuantConfig cfg = new QuantConfig();
        cfg.floatShallowConvs = floatShallow;
        StaticInt8Quantizer.Result r = new StaticInt8Quantizer(m, cfg, calib.batches(64)).quantize();

        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(r.model(), 1);
        assertEquals(floatShallow ? 2 : 3, ops.getOrDefault("QLinearConv", 0), "ORT fuses the int8 convs: " + ops);
        assertEquals(1, ops.getOrDefault("QGemm", 0), "ORT fuses the int8 Gemm: " + ops);
        assertEquals(0, ops.getOrDefault("DequantizeLinear", 0), "no DQ left between fused ops: " + ops);

        LabeledData test = LabeledData.of(io.nnzip.data.Datasets.load("fashion-mnist", "test"), io.nnzip.data.Normalization.resolve(null, m), m, 64);
        Tensor x = test.slice(0, 64);
        float[] ort;
        try (OrtRunner o = new OrtRunner(r.model(), 1)) {
            ort = o.run(Map.of("input", x)).get("output").floats();
        }
        float[] sim = simulate(r, x);
        double maxAbs = 0, range = 0;
        int agree = 0;
        for (int i = 0; i < ort.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(ort[i] - sim[i]));
            range = Math.max(range, Math.abs(sim[i]));
        }
        for (int s = 0; s < 64; s++) if (argmax(ort, s) == argmax(sim, s)) agree++;
        // integer kernels requantize with one rounding per value; a rare value may land one step away
        assertTrue(maxAbs < 0.03 * range, "max |ORT - simulation| = " + maxAbs + " of range " + range);
        assertTrue(agree >= 63, "top-1 agreement " + agree + "/64");
    }

    /** The float graph on nnzip's engine with quantized weights/biases and fake-quantized activations. */
    static float[] simulate(StaticInt8Quantizer.Result r, Tensor x) {
        Model sim = r.prepared().copy();
        Graph g = sim.graph();
        for (QdqWriter.WeightLayer l : r.layers()) {
            Node orig = g.node(l.node().name());
            g.initializers().put(orig.input(1), Tensor.of(l.w().dequantized(), g.initializer(orig.input(1)).shape()));
            if (l.biasDequantized() != null) g.initializers().put(orig.input(2), Tensor.of(l.biasDequantized(), l.biasDequantized().length));
        }
        Map<String, QuantParams> params = r.activationParams();
        Map<String, Tensor> feeds = new HashMap<>();
        feeds.put("input", params.containsKey("input") ? fake(x, params.get("input")) : x);
        try (Parallel p = new Parallel(1)) {
            Executor ex = new Executor(sim, p);
            ex.setListener((node, in, out, ns) -> {
                for (int i = 0; i < out.length; i++) {
                    QuantParams q = params.get(node.output(i));
                    if (q != null) fakeInPlace(out[i].floats(), q);
                }
            });
            return ex.run(feeds).get("output").floats();
        }
    }

    static Tensor fake(Tensor t, QuantParams q) {
        Tensor c = t.copy();
        fakeInPlace(c.floats(), q);
        return c;
    }

    static void fakeInPlace(float[] v, QuantParams q) {
        int qmin = QuantMath.qmin(q.type()), qmax = QuantMath.qmax(q.type());
        for (int i = 0; i < v.length; i++) v[i] = QuantMath.fake(v[i], q.scale()[0], q.zeroPoint()[0], qmin, qmax);
    }

    static int argmax(float[] v, int row) {
        int best = 0;
        for (int j = 1; j < 10; j++) if (v[row * 10 + j] > v[row * 10 + best]) best = j;
        return best;
    }
}
