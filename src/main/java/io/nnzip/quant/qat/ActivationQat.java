package io.nnzip.quant.qat;

import io.nnzip.data.Augment;
import io.nnzip.data.Batch;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Backprop;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.ChannelQuantizer;
import io.nnzip.quant.QuantMath;
import io.nnzip.quant.QuantParams;
import io.nnzip.train.Evaluator;
import io.nnzip.train.LrSchedule;
import io.nnzip.train.Objective;
import io.nnzip.train.Optimizer;
import io.nnzip.train.Param;
import io.nnzip.train.TrainableParams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Int8 quantization-aware training of weights and activations. The model trains as its QDQ export computes:
 * weights through the per-channel int8 projection (float shadow weights, straight-through gradients), every
 * quantized activation through FakeQuantize with the export's scale and zero point. Activation ranges are either
 * learned (LSQ: the scale is a parameter; trained as log(scale) so Adam's step is relative to the scale) or
 * tracked (exponential moving average of each batch's min/max, as in TensorFlow's QAT).
 * <p>Starts from the PTQ calibration, so training refines a working int8 model rather than finding one. The
 * learning rate decays to zero over the run (cosine): from converged weights a constant rate only adds noise.
 */
public final class ActivationQat {
    public enum Ranges { LEARNED, EMA }

    /** Trained activation parameters by tensor, the simulation graph (float, FakeQuantize nodes) and the log. */
    public record Result(Map<String, QuantParams> activations, Model simulation, List<String> log) {}

    /** EMA momentum of tracked ranges: about the last hundred batches. */
    static final float EMA = 0.99f;
    /** Learned log-scales step this many times the weights' learning rate. */
    static final float SCALE_LR = 10f;

    private ActivationQat() {}

    /**
     * Trains {@code prepared} (BN folded) in place: on return its float parameters are trained, the weights of
     * {@code weights} (name → output-channel axis) lie on their int8 grid. {@code initial} holds the calibrated
     * per-tensor parameters of every activation the export quantizes with its own scale.
     */
    public static Result train(Model prepared, Map<String, QuantParams> initial, Map<String, Integer> weights, boolean perChannel,
                               Ranges ranges, Dataset data, Normalization norm, int epochs, int batch, float lr, int threads, long seed,
                               Consumer<String> log) {
        Model sim = prepared.copy();
        Graph g = sim.graph();
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) if (e.getValue().dtype() == DType.FLOAT) e.setValue(e.getValue().copy());
        Map<String, FakeQuantGraph.Site> sites = FakeQuantGraph.insert(sim, initial);
        List<String> lines = new ArrayList<>();
        Consumer<String> both = l -> {
            lines.add(l);
            log.accept(l);
        };

        Map<String, QuantizedParam> shadows = new LinkedHashMap<>();
        weights.forEach((w, axis) -> shadows.put(w, QuantizedParam.shadow(w, g.initializer(w), axis,
                (t, a) -> ChannelQuantizer.quantize(t, a, perChannel, DType.INT8).dequantized())));
        List<Param> floatParams = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String n : TrainableParams.select(g, null, null)) {
            names.add(n);
            Tensor t = g.initializer(n);
            floatParams.add(shadows.containsKey(n) ? shadows.get(n).param() : new Param(n, t.floats(), t.rank() > 1));
        }
        Map<String, Param> logScales = new LinkedHashMap<>();
        if (ranges == Ranges.LEARNED)
            for (FakeQuantGraph.Site s : sites.values()) {
                names.add(s.scale());
                logScales.put(s.scale(), new Param(s.scale() + ".log", new float[] {(float) Math.log(s.initial().scale()[0])}, false));
            }
        Map<String, float[]> emaRange = new LinkedHashMap<>();
        Objective loss = Objective.crossEntropy(0f);
        Optimizer adam = Optimizer.create("adam", 0.9f, false, 0f), scaleAdam = Optimizer.create("adam", 0.9f, false, 0f);
        List<Param> scaleParams = new ArrayList<>(logScales.values());
        try (Parallel par = new Parallel(threads)) {
            Tape tape = new Tape(g, sim.opset(), par, seed);
            Backprop bp = new Backprop(tape, names);
            String input = g.runtimeInputs().getFirst().name(), output = g.outputNames().getFirst();
            int perEpoch = (data.size() + batch - 1) / batch, step = 0;
            LrSchedule sched = LrSchedule.of("cosine", lr, epochs * perEpoch, 0, 0, 0f);
            for (int e = 0; e < epochs; e++) {
                double lossSum = 0;
                long correct = 0, seen = 0;
                try (BatchLoader loader = new BatchLoader(data, batch, true, norm, Augment.NONE, seed, e)) {
                    while (loader.hasNext()) {
                        Batch b = loader.next();
                        for (QuantizedParam q : shadows.values()) System.arraycopy(q.values(), 0, g.initializer(q.weight()).floats(), 0, q.param().size());
                        Tensor out = tape.forward(Map.of(input, b.images()), true).get(output);
                        float[] grad = new float[out.size()];
                        float l = loss.lossAndGrad(b, out, grad);
                        if (!Float.isFinite(l)) throw new NnzipException("QAT loss became " + l + "; lower --lr");
                        correct += Evaluator.correctTop1(out.floats(), b.labels());
                        if (ranges == Ranges.EMA) track(tape, g, sites, emaRange);
                        Map<String, Tensor> grads = bp.run(Map.of(output, new Tensor(DType.FLOAT, out.shape(), grad)));
                        for (Param p : floatParams) {
                            Tensor gt = grads.get(p.name());
                            float[] gv = gt == null ? new float[p.size()] : gt.floats();
                            QuantizedParam q = shadows.get(p.name());
                            if (q != null) q.backward(gv);
                            else System.arraycopy(gv, 0, p.grad(), 0, p.size());
                        }
                        float rate = sched.at(step++);
                        adam.step(floatParams, rate);
                        if (!scaleParams.isEmpty()) {
                            logScales.forEach((name, p) -> {
                                Tensor gt = grads.get(name);
                                // d loss / d log s = s · d loss / d s
                                p.grad()[0] = gt == null ? 0f : gt.floats()[0] * (float) Math.exp(p.value()[0]);
                            });
                            scaleAdam.step(scaleParams, rate * SCALE_LR);
                            logScales.forEach((name, p) -> g.initializer(name).floats()[0] = (float) Math.exp(p.value()[0]));
                        }
                        lossSum += l * b.size();
                        seen += b.size();
                    }
                }
                both.accept(String.format("QAT epoch %d/%d (int8 weights and activations, %s ranges): loss %.4f, train accuracy %.2f%%",
                        e + 1, epochs, ranges.name().toLowerCase(), lossSum / seen, 100.0 * correct / seen));
            }
        }
        for (QuantizedParam q : shadows.values()) System.arraycopy(q.values(), 0, g.initializer(q.weight()).floats(), 0, q.param().size());
        Map<String, QuantParams> trained = new LinkedHashMap<>();
        for (FakeQuantGraph.Site s : sites.values()) trained.put(s.tensor(), FakeQuantGraph.current(g, s));
        for (String n : TrainableParams.select(prepared.graph(), null, null))
            if (g.isInitializer(n)) prepared.graph().initializers().put(n, g.initializer(n).copy());
        return new Result(trained, sim, lines);
    }

    /** EMA of each site's input range; the site's scale and zero point follow it (ReLU sites keep zero point 1). */
    static void track(Tape tape, Graph g, Map<String, FakeQuantGraph.Site> sites, Map<String, float[]> ema) {
        for (FakeQuantGraph.Site s : sites.values()) {
            float[] v = tape.value(s.input()).floats();
            float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
            for (float x : v) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
            float[] r = ema.get(s.tensor());
            if (r == null) {
                QuantParams p = s.initial();
                int qmin = QuantMath.qmin(p.type()), qmax = QuantMath.qmax(p.type());
                r = new float[] {(qmin - p.zeroPoint()[0]) * p.scale()[0], (qmax - p.zeroPoint()[0]) * p.scale()[0]};
                ema.put(s.tensor(), r);
            }
            r[0] = EMA * r[0] + (1 - EMA) * lo;
            r[1] = EMA * r[1] + (1 - EMA) * hi;
            QuantParams p = s.initial();
            float scale;
            int zp;
            if (p.type() == DType.UINT8 && p.zeroPoint()[0] == 1) {
                // a Q after an unfused ReLU keeps zero point 1 (see FloatBoundary.keepRelu)
                scale = Math.max(r[1], 1e-8f) / 254;
                zp = 1;
            } else {
                boolean symmetric = p.type() == DType.INT8 || p.zeroPoint()[0] == 128;
                QuantParams.Scalar sc = QuantMath.params(r[0], r[1], p.type(), symmetric);
                scale = sc.scale();
                zp = sc.zeroPoint();
            }
            g.initializer(s.scale()).floats()[0] = scale;
            g.initializer(s.zeroPoint()).floats()[0] = zp;
        }
    }
}
