package io.nnzip.arch;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.AdderOps;
import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.lowrank.ConvSite;
import io.nnzip.lowrank.GraphRewrites;
import io.nnzip.pass.Provenance;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * AdderNet redesign (Chen et al., CVPR 2020): convolutions become adder layers, y = −Σ|x − w| (no multiplication
 * between input and filter), each followed by batch normalization, which the paper needs because adder outputs
 * are all negative and their scale grows with the fan-in. Each filter starts as a template of what the conv channel
 * detected ({@link #prototypes}); the BatchNormalization
 * after each adder layer gets its running statistics from the adder's outputs on calibration images and its
 * scale and shift from the original layer's output statistics, so every redesigned layer starts out producing
 * the per-channel mean and spread the original did. When the conv already feeds a BatchNormalization (its only
 * reader), that node is reused: its statistics become the adder's, its scale and shift stay. Layers are
 * calibrated in order, each on the inputs the already-redesigned layers produce. Stems with fewer input channels
 * than {@code minInputChannels} stay convolutions, as in the paper (first and last layers full precision).
 * With {@code fitSteps > 0} each adder layer and its BN are then fitted alone ({@link BlockFit}) to the original's
 * normalized output: a template matches only the conv channel's strongest responses, the fit the whole response
 * (on Fashion-MNIST's CNN the rewrite's held-out accuracy before fine-tuning went from 34 % to 71 %).
 * <p>AdderConv is an engine op; {@link #toOnnx} writes each as standard ONNX ops so ONNX Runtime runs the file.
 */
public final class AdderRedesign {
    private AdderRedesign() {}

    /** @param calib calibration inputs for the model's first input (N,...) */
    public static DepthwiseSeparableRedesign.Result run(Model input, RedesignConfig cfg, Tensor calib) {
        if (calib == null) throw new NnzipException("redesign --adder sets the statistics of each adder layer's BatchNormalization on calibration images: give --data");
        Model m = input.copy();
        io.nnzip.engine.Canonical.apply(m);
        Graph g = m.graph();
        Map<String, ValueType> types = ShapeInference.infer(g, m.opset(), 1, Map.of());
        List<DepthwiseSeparableRedesign.LayerResult> results = new ArrayList<>();
        List<ConvSite> sites = RedesignSites.select(g, types, cfg, false, results);
        String inputName = g.runtimeInputs().getFirst().name();
        Map<String, Tensor> targets = Calibration.capture(input, inputName, calib, sites.stream().map(s -> s.node().output(0)).toList(), 64);
        for (ConvSite s : sites) {
            String y = s.node().output(0);
            Node bn = soleBatchNorm(g, y);
            Tensor x = Calibration.capture(m, inputName, calib, List.of(s.node().input(0)), 64).get(s.node().input(0));
            g.initializers().put(s.weightName(), Tensor.of(prototypes(s, x, targets.get(y), PROTOTYPE_PATCHES), s.k(), s.c(), s.r(), s.s()));
            GraphRewrites.Names names = new GraphRewrites.Names(g, s.baseName());
            String adderOut = bn != null ? y : names.next("adder");
            Node adder = new Node(names.next("adder"), AdderOps.OP, List.of(s.node().input(0), s.weightName()), List.of(adderOut));
            for (String a : new String[] {"kernel_shape", "strides", "pads", "dilations"})
                if (s.node().has(a)) adder.set(s.node().attr(a));
            adder.set(Attribute.of("pads", s.pads().clone()));
            List<Node> chain = new ArrayList<>(List.of(adder));
            double[][] target = channelStats(targets.get(y));
            if (bn == null) {
                // a new BN whose output has the conv output's mean and spread: scale = std, shift = mean
                int k = s.k();
                float[] scale = new float[k], shift = new float[k];
                for (int c = 0; c < k; c++) {
                    scale[c] = (float) Math.sqrt(target[1][c] + 1e-5);
                    shift[c] = (float) target[0][c];
                }
                String sc = GraphRewrites.addWeight(g, names.next("bn.weight"), Tensor.of(scale, k));
                String sh = GraphRewrites.addWeight(g, names.next("bn.bias"), Tensor.of(shift, k));
                String mean = GraphRewrites.addWeight(g, names.next("bn.running_mean"), Tensor.of(new float[k], k));
                String var = GraphRewrites.addWeight(g, names.next("bn.running_var"), Tensor.of(new float[k], k));
                chain.add(new Node(names.next("bn"), "BatchNormalization", List.of(adderOut, sc, sh, mean, var), List.of(y)));
            }
            GraphRewrites.replace(g, s.node(), chain);
            if (bn == null) bn = chain.getLast();
            TopoSort.sort(g);
            recalibrate(m, inputName, calib, adderOut, bn);
            double errInit = Double.NaN, errFit = Double.NaN;
            if (cfg.fitSteps() > 0) {
                // templates only match what the conv channel detects at its strongest responses; the fit matches the
                // whole normalized response (copies first: the filter and BN arrays may be the input model's)
                for (int i = 1; i <= 2; i++) g.initializers().put(bn.input(i), g.initializer(bn.input(i)).copy());
                Tensor want = Calibration.capture(input, inputName, calib, List.of(bn.output(0)), 64).get(bn.output(0));
                BlockFit.Outcome o = BlockFit.fit(g, m.opset(), List.of(adder, bn), s.node().input(0), bn.output(0), x, want, cfg.fitSteps(), cfg.seed());
                errInit = o.errorBefore();
                errFit = o.errorAfter();
                // training-mode steps moved the running statistics by momentum; set them from the fitted adder again
                recalibrate(m, inputName, calib, adderOut, bn);
            }
            results.add(new DepthwiseSeparableRedesign.LayerResult(s.baseName(), "redesigned", s.macs(), s.macs(), s.params(), s.params(), errInit, errFit));
        }
        g.removeUnusedInitializers();
        GraphValidator.validate(g);
        ModelStats before = ModelStats.of(input), after = ModelStats.of(m);
        var r = new DepthwiseSeparableRedesign.Result(m, results, before.macs, after.macs, before.params, after.params);
        Provenance.record(m, "redesign", cfg.describe(), RedesignConfig.FIELDS, r.summary());
        return r;
    }

    /** The BN normalizes with the adder's own statistics on the inputs the redesigned layers before it give. */
    private static void recalibrate(Model m, String inputName, Tensor calib, String adderOut, Node bn) {
        Graph g = m.graph();
        double[][] st = channelStats(Calibration.capture(m, inputName, calib, List.of(adderOut), 64).get(adderOut));
        // copies: the arrays may be shared with the input model's tensors
        float[] mean = g.initializer(bn.input(3)).toFloats().clone(), var = g.initializer(bn.input(4)).toFloats().clone();
        for (int c = 0; c < mean.length; c++) {
            mean[c] = (float) st[0][c];
            var[c] = (float) st[1][c];
        }
        g.initializers().put(bn.input(3), Tensor.of(mean, mean.length));
        g.initializers().put(bn.input(4), Tensor.of(var, var.length));
    }

    /** Input patches averaged into each adder filter's starting template. */
    static final int PROTOTYPE_PATCHES = 32;

    /**
     * Starting filters: an adder unit responds most (−‖patch − w‖₁ nearest 0) to patches close to its filter, a
     * template, while a conv filter's weights are no template of anything. So each filter starts as the mean of the
     * {@code top} calibration patches (taken from the inputs the redesigned layers before it produce) at the
     * positions where the original conv channel responded most: the pattern that channel detects.
     * <pre>x: (N,C,H,W) layer input, y: (N,K,P,Q) original conv output -> w: (K,C,R,S)</pre>
     */
    static float[] prototypes(ConvSite s, Tensor x, Tensor y, int top) {
        int n = x.dim(0), c = s.c(), h = s.h(), wd = s.wIn(), k = s.k(), r = s.r(), ss = s.s(), p = s.p(), q = s.q(), crs = c * r * ss;
        float[] xv = x.floats(), yv = y.floats(), w = new float[k * crs];
        int positions = n * p * q, m = Math.min(top, positions);
        for (int o = 0; o < k; o++) {
            Integer[] idx = new Integer[positions];
            for (int i = 0; i < positions; i++) idx[i] = i;
            int oo = o;
            java.util.Arrays.sort(idx, (a, b) -> Float.compare(yv[((b / (p * q)) * k + oo) * p * q + b % (p * q)], yv[((a / (p * q)) * k + oo) * p * q + a % (p * q)]));
            for (int t = 0; t < m; t++) {
                int pos = idx[t], img = pos / (p * q), oy = (pos % (p * q)) / q, ox = pos % q;
                for (int ch = 0; ch < c; ch++)
                    for (int a = 0; a < r; a++)
                        for (int b = 0; b < ss; b++) {
                            int iy = (int) (oy * s.strides()[0] - s.pads()[0] + a * s.dilations()[0]), ix = (int) (ox * s.strides()[1] - s.pads()[1] + b * s.dilations()[1]);
                            float v = iy < 0 || iy >= h || ix < 0 || ix >= wd ? 0f : xv[((img * c + ch) * h + iy) * wd + ix];
                            w[o * crs + (ch * r + a) * ss + b] += v / m;
                        }
            }
        }
        return w;
    }

    /** The BatchNormalization that is the only reader of {@code value} (and not a graph output), or null. */
    private static Node soleBatchNorm(Graph g, String value) {
        List<Node> readers = g.consumers().getOrDefault(value, List.of());
        if (readers.size() != 1 || !readers.getFirst().opType().equals("BatchNormalization")) return null;
        if (g.outputs().stream().anyMatch(v -> v.name().equals(value))) return null;
        Node bn = readers.getFirst();
        for (int i = 1; i <= 4; i++) if (!bn.hasInput(i) || g.initializer(bn.input(i)) == null) return null;
        return bn;
    }

    /** Per-channel mean and (biased) variance of an (N,C,...) tensor. */
    static double[][] channelStats(Tensor t) {
        int n = t.dim(0), c = t.dim(1), l = t.size() / (n * c);
        float[] v = t.floats();
        double[][] r = new double[2][c];
        for (int ch = 0; ch < c; ch++) {
            double s = 0, ss = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0, o = (i * c + ch) * l; j < l; j++) {
                    s += v[o + j];
                    ss += (double) v[o + j] * v[o + j];
                }
            double cnt = (double) n * l, mean = s / cnt;
            r[0][ch] = mean;
            r[1][ch] = Math.max(0, ss / cnt - mean * mean);
        }
        return r;
    }

    /**
     * A copy of {@code m} with every AdderConv written as standard ONNX ops ONNX Runtime runs:
     * <pre>
     * x (N,C,H,W) → Conv with one-hot (C·R·S, C, R, S) filters, the adder's strides/pads/dilations → patches (N, C·R·S, P, Q)
     *   → Reshape (N, 1, C·R·S, P·Q) → Sub w as (K, C·R·S, 1) → (N, K, C·R·S, P·Q) → Abs → ReduceSum axis 2 → Neg
     *   → Reshape (N, K, P, Q)
     * </pre>
     * The intermediate (N, K, C·R·S, P·Q) tensor is large: ONNX has no op that reduces |a − b| without it.
     */
    public static Model toOnnx(Model m) {
        Model out = m.copy();
        Graph g = out.graph();
        if (g.nodes().stream().noneMatch(n -> n.opType().equals(AdderOps.OP))) return out;
        Map<String, ValueType> types = ShapeInference.infer(g, out.opset(), 1, Map.of());
        for (Node n : List.copyOf(g.nodes())) {
            if (!n.opType().equals(AdderOps.OP)) continue;
            Tensor w = g.initializer(n.input(1));
            if (w == null) throw new NnzipException(n.describe() + ": the filter must be an initializer to write AdderConv as ONNX");
            ValueType yt = types.get(n.output(0));
            if (yt == null || !yt.hasShape()) throw new NnzipException(n.describe() + ": output shape unknown");
            int k = w.dim(0), c = w.dim(1), r = w.dim(2), s = w.dim(3), crs = c * r * s, p = yt.shape()[2], q = yt.shape()[3];
            GraphRewrites.Names names = new GraphRewrites.Names(g, n.name().isEmpty() ? n.output(0) : n.name());
            float[] eye = new float[crs * crs];
            for (int i = 0; i < crs; i++) eye[i * crs + i] = 1f; // filter i picks tap i = (ch·R + a)·S + b
            String e = GraphRewrites.addWeight(g, names.next("patch_filters"), Tensor.of(eye, crs, c, r, s));
            String wcol = GraphRewrites.addWeight(g, names.next("filters"), Tensor.of(w.toFloats().clone(), k, crs, 1));
            String shape1 = GraphRewrites.addWeight(g, names.next("patch_shape"), Tensor.vector(0, 1, crs, (long) p * q));
            String shape2 = GraphRewrites.addWeight(g, names.next("out_shape"), Tensor.vector(0, k, p, q));
            String patches = names.next("patches"), rows = names.next("patch_rows"), diff = names.next("diff"), abs = names.next("abs"),
                    sum = names.next("sum"), neg = names.next("neg");
            Node conv = new Node(names.next("unfold"), "Conv", List.of(n.input(0), e), List.of(patches));
            for (String a : new String[] {"strides", "pads", "dilations", "auto_pad"}) if (n.has(a)) conv.set(n.attr(a));
            conv.set(Attribute.of("kernel_shape", (long) r, (long) s));
            Node reduce;
            if (out.opset() >= 13) {
                String axes = GraphRewrites.addWeight(g, names.next("axes"), Tensor.vector(2));
                reduce = new Node(names.next("reduce"), "ReduceSum", List.of(abs, axes), List.of(sum));
            } else {
                reduce = new Node(names.next("reduce"), "ReduceSum", List.of(abs), List.of(sum));
                reduce.set(Attribute.of("axes", new long[] {2}));
            }
            reduce.set(Attribute.of("keepdims", 0L));
            GraphRewrites.replace(g, n, List.of(conv,
                    new Node(names.next("rows"), "Reshape", List.of(patches, shape1), List.of(rows)),
                    new Node(names.next("sub"), "Sub", List.of(rows, wcol), List.of(diff)),
                    new Node(names.next("abs"), "Abs", List.of(diff), List.of(abs)),
                    reduce,
                    new Node(names.next("neg"), "Neg", List.of(sum), List.of(neg)),
                    new Node(names.next("shape"), "Reshape", List.of(neg, shape2), List.of(n.output(0)))));
        }
        g.removeUnusedInitializers();
        GraphValidator.validate(g);
        return out;
    }
}
