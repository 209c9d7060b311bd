package io.nnzip.quant.binary;

import io.nnzip.data.Normalization;
import io.nnzip.engine.Executor;
import io.nnzip.engine.ops.BinaryOps;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.WeightSchemes;
import io.nnzip.quant.calib.LabeledData;
import io.nnzip.quant.prep.BatchNormFolder;
import io.nnzip.quant.qat.QuantizedParam;
import io.nnzip.quant.qat.ShadowWeightTrainer;
import io.nnzip.quant.weight.SignScaleQuantizer;
import io.nnzip.quant.weight.WeightOnlyQuantizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Binarized networks: weights ±α per output channel and activations of two levels at the input of every
 * binarized layer, either {0, 1} above a learned threshold (sparsity-inducing BNN, Wang et al., AAAI 2020) or ±1
 * (XNOR-Net, Rastegari et al., 2016). The first and last weight layers stay float by default (their inputs are
 * the image and their outputs the logits, where one bit loses the most). Trained with QAT: shadow weights
 * ({@link SignShadow}), a training-only Binarize op whose threshold is a parameter, Adam.
 * <p>The written ONNX uses standard ops only, so ONNX Runtime runs it: Greater → Where(1, lo) for each binarized
 * activation, int8 sign codes → Cast → Mul(α) for each weight. nnzip's engine recognizes that shape
 * ({@link io.nnzip.engine.BinaryLowering}) and runs those layers on packed bits with popcounts.
 */
public final class BinaryNet {
    private BinaryNet() {}

    public static WeightSchemes.Applied apply(Model floatModel, QuantConfig cfg, LabeledData calib, io.nnzip.data.DataSplits splits, Normalization trainNorm, Consumer<String> log) {
        boolean pm1 = switch (cfg.activations) {
            case "01" -> false;
            case "pm1" -> true;
            default -> throw new NnzipException("--activations must be 01 or pm1 for binarized networks, not '" + cfg.activations + "'");
        };
        Model base = floatModel.copy();
        Graph g = base.graph();
        int folded = BatchNormFolder.fold(g);
        for (Node n : g.nodes()) if (n.name().isEmpty()) n.setName(g.freshName(n.opType()));
        List<Node> layers = choose(g, cfg);
        if (layers.isEmpty()) throw new NnzipException("no Conv (group 1, 2-D) / Gemm (transB) layer to binarize" + (cfg.binaryFloatEnds ? " besides the first and last" : ""));
        Map<String, Float> thresholds = initialThresholds(base, layers, calib);
        List<String> tNames = new ArrayList<>();
        for (Node n : layers) {
            String t = g.freshName(n.name() + "_threshold"), y = g.freshName(n.input(0) + "_binary");
            g.initializers().put(t, Tensor.scalar(thresholds.get(n.input(0))));
            Node b = new Node(g.freshName(n.name() + "_binarize"), BinaryOps.BINARIZE, List.of(n.input(0), t), List.of(y));
            b.set(Attribute.of(BinaryOps.PM1, pm1 ? 1L : 0L));
            g.nodes().add(b);
            n.inputs().set(0, y);
            tNames.add(t);
        }
        TopoSort.sort(g);
        List<QuantizedParam> shadows = new ArrayList<>();
        for (Node n : layers) shadows.add(new SignShadow(n.input(1), g.initializer(n.input(1))));
        Map<String, Object> notes = new LinkedHashMap<>();
        notes.put("batchnorm_folded", folded);
        notes.put("activations", pm1 ? "±1 (XNOR)" : "{0,1} (sparsity-inducing)");
        notes.put("binarized_layers", layers.stream().map(Node::name).toList());
        notes.put("float_layers", floatLayers(g, cfg, layers));
        List<String> training = ShadowWeightTrainer.trainOrProject(base, shadows, splits, cfg.trainLimit, trainNorm, cfg.qat, cfg.lr(), cfg.threads, cfg.seed, log);
        if (cfg.qat > 0) notes.put("training", training);
        Map<String, Float> trained = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) trained.put(layers.get(i).name(), g.initializer(tNames.get(i)).toFloats()[0]);
        notes.put("thresholds", trained);
        notes.put("activation_density", density(base, layers, calib));
        Model out = base.copy();
        exportActivations(out.graph(), pm1);
        Set<String> keep = new HashSet<>();
        for (Node n : out.graph().nodes()) keep.add(n.name());
        layers.forEach(n -> keep.remove(n.name()));
        List<WeightOnlyQuantizer.Layer> encoded = WeightOnlyQuantizer.apply(out, keep, new SignScaleQuantizer(false, false)::encode);
        notes.put("container", "int8 sign codes → Cast → Mul(α) (ORT folds them at load; nnzip's engine runs the layers on bits)");
        cfg.record(out, Map.of("binarized_layers", String.join(",", notes.get("binarized_layers").toString())));
        log.accept("binarized " + layers.size() + " layers (" + notes.get("activations") + " activations)");
        return new WeightSchemes.Applied(out, base, io.nnzip.quant.QuantizePipeline.weightRows(encoded), notes);
    }

    /** Conv (group 1, 4-D weight) and Gemm (transB) layers in execution order, minus the first and last weight layers when asked. */
    static List<Node> choose(Graph g, QuantConfig cfg) {
        List<Node> all = new ArrayList<>();
        Map<Node, Integer> ops = WeightOnlyQuantizer.weightOps(g, cfg.exclude);
        for (Node n : TopoSort.order(g.nodes())) if (ops.containsKey(n)) all.add(n);
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            Node n = all.get(i);
            if (cfg.binaryFloatEnds && (i == 0 || i == all.size() - 1)) continue;
            Tensor w = g.initializer(n.input(1));
            boolean conv = n.opType().equals("Conv") && n.attrInt("group", 1) == 1 && w.rank() == 4;
            boolean gemm = n.opType().equals("Gemm") && n.attrInt("transB", 0) == 1 && n.attrInt("transA", 0) == 0
                    && n.attrFloat("alpha", 1f) == 1f && n.attrFloat("beta", 1f) == 1f;
            if (conv || gemm) out.add(n);
        }
        return out;
    }

    /** The weight layers left float and why: first/last (--float-ends), grouped or depthwise Conv, other forms. */
    static Map<String, String> floatLayers(Graph g, QuantConfig cfg, List<Node> binarized) {
        Map<String, String> out = new LinkedHashMap<>();
        Set<Node> chosen = new HashSet<>(binarized);
        List<Node> all = new ArrayList<>();
        Map<Node, Integer> ops = WeightOnlyQuantizer.weightOps(g, cfg.exclude);
        for (Node n : TopoSort.order(g.nodes())) if (ops.containsKey(n)) all.add(n);
        for (int i = 0; i < all.size(); i++) {
            Node n = all.get(i);
            if (chosen.contains(n)) continue;
            out.put(n.name(), cfg.binaryFloatEnds && i == 0 ? "first weight layer"
                    : cfg.binaryFloatEnds && i == all.size() - 1 ? "last weight layer"
                    : n.opType().equals("Conv") && n.attrInt("group", 1) != 1 ? "grouped conv (group " + n.attrInt("group", 1) + ")"
                    : n.opType() + " form without a bit kernel");
        }
        return out;
    }

    /** Each binarized input's mean over calibration samples: about half its values above, a balanced start. */
    static Map<String, Float> initialThresholds(Model m, List<Node> layers, LabeledData calib) {
        List<String> keep = layers.stream().map(n -> n.input(0)).toList();
        Tensor x = calib.slice(0, Math.min(256, calib.size()));
        Map<String, Tensor> vals = new Executor(m).run(Map.of(m.graph().runtimeInputs().getFirst().name(), x), keep);
        Map<String, Float> t = new LinkedHashMap<>();
        for (String k : keep) {
            double s = 0;
            float[] v = vals.get(k).toFloats();
            for (float f : v) s += f;
            t.put(k, (float) (s / v.length));
        }
        return t;
    }

    /** Share of ones (values above the threshold) at each binarized input, on calibration samples. */
    static Map<String, Double> density(Model trained, List<Node> layers, LabeledData calib) {
        Graph g = trained.graph();
        List<String> keep = layers.stream().map(n -> n.input(0)).toList();
        Tensor x = calib.slice(0, Math.min(256, calib.size()));
        Map<String, Tensor> vals = new Executor(trained).run(Map.of(g.runtimeInputs().getFirst().name(), x), keep);
        Map<String, Double> d = new LinkedHashMap<>();
        for (Node n : layers) {
            float[] v = vals.get(n.input(0)).toFloats();
            long ones = 0;
            for (float f : v) if (f > 0) ones++;
            d.put(n.name(), Math.round(1000.0 * ones / v.length) / 1000.0);
        }
        return d;
    }

    /** Binarize(x, t) → Where(Greater(x, t), 1, lo): standard ops with the same values. */
    static void exportActivations(Graph g, boolean pm1) {
        String one = g.freshName("binary_hi"), lo = g.freshName("binary_lo");
        g.initializers().put(one, Tensor.scalar(1f));
        g.initializers().put(lo, Tensor.scalar(pm1 ? -1f : 0f));
        List<Node> added = new ArrayList<>();
        for (Node b : g.nodes()) {
            if (!b.opType().equals(BinaryOps.BINARIZE)) continue;
            String cond = g.freshName(b.output(0) + "_above");
            added.add(new Node(g.freshName(b.name() + "_greater"), "Greater", List.of(b.input(0), b.input(1)), List.of(cond)));
            b.setOpType("Where");
            b.attributes().clear();
            b.inputs().clear();
            b.inputs().addAll(List.of(cond, one, lo));
        }
        g.nodes().addAll(added);
        TopoSort.sort(g);
    }
}
