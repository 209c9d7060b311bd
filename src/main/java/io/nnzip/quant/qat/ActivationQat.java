package io.nnzip.quant.qat;

import io.nnzip.data.Batch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.dist.WorkerSetup;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.pass.FineTuning;
import io.nnzip.pass.RemoteTraining;
import io.nnzip.quant.QuantMath;
import io.nnzip.quant.QuantParams;
import io.nnzip.train.Optimizer;
import io.nnzip.train.Param;
import io.nnzip.train.StepHook;
import io.nnzip.train.TrainListener;
import io.nnzip.train.TrainableParams;
import io.nnzip.train.Trainer;
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

    /**
     * Trained activation parameters by tensor, the simulation graph (float, FakeQuantize nodes), the log, and what
     * a remote (data-parallel) run reports about itself (empty when trained here).
     */
    public record Result(Map<String, QuantParams> activations, Model simulation, List<String> log, Map<String, Object> info) {}

    /** EMA momentum of tracked ranges: about the last hundred batches. */
    static final float EMA = 0.99f;
    /** Learned log-scales step this many times the weights' learning rate. */
    static final float SCALE_LR = 10f;

    private ActivationQat() {}

    /**
     * Trains {@code prepared} (BN folded) in place: on return its float parameters are trained, the weights of
     * {@code weights} (name → output-channel axis) lie on their int8 grid. {@code initial} holds the calibrated
     * per-tensor parameters of every activation the export quantizes with its own scale. With {@code remote}
     * the simulation graph and a {@link QatSpec} travel to data-parallel workers (which read the training split
     * themselves, {@code data} gives its size) and train there; null trains here.
     */
    public static Result train(Model prepared, Map<String, QuantParams> initial, Map<String, Integer> weights, boolean perChannel,
                               Ranges ranges, Dataset data, Normalization norm, int epochs, int batch, float lr, int threads, long seed,
                               RemoteTraining remote, Consumer<String> log) {
        Model sim = prepared.copy();
        Map<String, FakeQuantGraph.Site> sites = FakeQuantGraph.insert(sim, initial);
        QatSpec spec = new QatSpec(weights, perChannel, ranges, List.copyOf(sites.values()));
        List<String> lines = new ArrayList<>();
        Consumer<String> both = l -> {
            lines.add(l);
            log.accept(l);
        };
        Map<String, Object> info = new LinkedHashMap<>();
        if (remote != null) {
            FineTuning.Request r = FineTuning.Request.of(epochs, lr, "cosine", seed).worker(spec);
            RemoteTraining.Result done = remote.train(sim, r, norm, data.size(), both);
            for (Map.Entry<String, Tensor> e : done.model().graph().initializers().entrySet()) sim.graph().initializers().put(e.getKey(), e.getValue().copy());
            info.putAll(done.info());
            both.accept(String.format("QAT on %s workers (int8 weights and activations, %s ranges), %s exchange", done.info().get("workers"),
                    ranges.name().toLowerCase(), done.info().get("exchange")));
        } else {
            Trainer.Options o = new Trainer.Options().epochs(epochs).batchSize(batch).optimizer("adam").momentum(0.9f).lr(lr).schedule("cosine")
                    .threads(threads).seed(seed);
            Hook hook = spec.start(sim, o);
            try (Trainer t = new Trainer(sim, o)) {
                t.fit(data, null, norm, new TrainListener() {
                    @Override
                    public void epochEnd(Trainer.EpochStats st) {
                        both.accept(String.format("QAT epoch %d/%d (int8 weights and activations, %s ranges): loss %.4f, train accuracy %.2f%%",
                                st.epoch(), epochs, ranges.name().toLowerCase(), st.trainLoss(), 100.0 * st.trainAccuracy()));
                    }
                });
                hook.writeWeights(t.model().graph());
                for (Map.Entry<String, Tensor> e : t.model().graph().initializers().entrySet()) sim.graph().initializers().put(e.getKey(), e.getValue().copy());
            }
        }
        Graph g = sim.graph();
        Map<String, QuantParams> trained = new LinkedHashMap<>();
        for (FakeQuantGraph.Site s : sites.values()) trained.put(s.tensor(), FakeQuantGraph.current(g, s));
        for (String n : TrainableParams.select(prepared.graph(), null, null))
            if (g.isInitializer(n)) prepared.graph().initializers().put(n, g.initializer(n).copy());
        return new Result(trained, sim, lines, info);
    }

    /**
     * The QAT step on the shared Trainer: shadow weights projected before each forward pass, their gradients taken
     * from the projected weights' (derived: the optimizer does not step them); activation ranges tracked (EMA) or learned as
     * log-scales by an Adam of their own at {@link #SCALE_LR} times the rate, since a scale's useful step differs
     * from a weight's by orders of magnitude. Data-parallel copies exchange the stepped parameters, the log-scales
     * or the tracked ranges ({@link #exchanged}) and derive the rest from them ({@link #synced}).
     */
    static final class Hook implements StepHook, WorkerSetup.Session {
        final Map<String, QuantizedParam> shadows;
        final List<FakeQuantGraph.Site> sites;
        final Ranges ranges;
        final Map<String, Param> logScales = new LinkedHashMap<>();
        /** Tracked ranges by site tensor: {lo, hi}. */
        final Map<String, Param> emaRange = new LinkedHashMap<>();
        final Optimizer scaleAdam = Optimizer.create("adam", 0.9f, false, 0f);

        Hook(Map<String, QuantizedParam> shadows, List<FakeQuantGraph.Site> sites, Ranges ranges) {
            this.shadows = shadows;
            this.sites = sites;
            this.ranges = ranges;
            for (FakeQuantGraph.Site s : sites) {
                QuantParams p = s.initial();
                if (ranges == Ranges.LEARNED) logScales.put(s.scale(), new Param(s.scale() + ".log", new float[] {(float) Math.log(p.scale()[0])}, false));
                else {
                    int qmin = QuantMath.qmin(p.type()), qmax = QuantMath.qmax(p.type());
                    emaRange.put(s.tensor(), new Param(s.tensor() + ".range",
                            new float[] {(qmin - p.zeroPoint()[0]) * p.scale()[0], (qmax - p.zeroPoint()[0]) * p.scale()[0]}, false));
                }
            }
        }

        void writeWeights(Graph g) {
            for (QuantizedParam q : shadows.values()) System.arraycopy(q.values(), 0, g.initializer(q.weight()).floats(), 0, q.param().size());
        }

        @Override
        public void beforeForward(Trainer t, Batch b) { writeWeights(t.model().graph()); }

        @Override
        public float afterBackward(Trainer t) {
            if (ranges == Ranges.EMA) track(t.tape(), t.model().graph(), sites, emaRange);
            for (Param p : t.params()) {
                QuantizedParam q = shadows.get(p.name());
                Param log = logScales.get(p.name());
                if (q != null) q.backward(p.grad());
                // d loss / d log s = s · d loss / d s
                else if (log != null) log.grad()[0] = p.grad()[0] * (float) Math.exp(log.value()[0]);
            }
            return 0f;
        }

        @Override
        public void afterStep(Trainer t) {
            if (logScales.isEmpty()) return;
            scaleAdam.step(new ArrayList<>(logScales.values()), t.learningRate() * SCALE_LR);
            writeScales(t.model().graph());
        }

        void writeScales(Graph g) {
            logScales.forEach((name, p) -> g.initializer(name).floats()[0] = (float) Math.exp(p.value()[0]));
        }

        @Override
        public List<Param> exchanged(Trainer t) {
            List<Param> out = new ArrayList<>(t.steppedParams());
            out.addAll(logScales.values());
            out.addAll(emaRange.values());
            return out;
        }

        @Override
        public void synced(Trainer t) {
            writeWeights(t.model().graph());
            writeRanges(t.model().graph());
        }

        /** Each site's scale and zero point from the hook's state: exp(log-scale), or the tracked range. */
        void writeRanges(Graph g) {
            writeScales(g);
            for (FakeQuantGraph.Site s : sites) if (emaRange.containsKey(s.tensor())) follow(g, s, emaRange.get(s.tensor()).value());
        }
    }

    /** EMA of each site's input range; the site's scale and zero point follow it (ReLU sites keep zero point 1). */
    static void track(Tape tape, Graph g, List<FakeQuantGraph.Site> sites, Map<String, Param> ema) {
        for (FakeQuantGraph.Site s : sites) {
            float[] v = tape.value(s.input()).floats();
            float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
            for (float x : v) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
            float[] r = ema.get(s.tensor()).value();
            r[0] = EMA * r[0] + (1 - EMA) * lo;
            r[1] = EMA * r[1] + (1 - EMA) * hi;
            follow(g, s, r);
        }
    }

    /** Sets the site's scale and zero point from the range {@code r} = {lo, hi}. */
    static void follow(Graph g, FakeQuantGraph.Site s, float[] r) {
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
