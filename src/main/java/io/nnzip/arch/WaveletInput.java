package io.nnzip.arch;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.GraphValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.lowrank.GraphRewrites;
import io.nnzip.pass.Provenance;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Wavelet-like input split (WAE, Chen et al. 2018): a learned 2×2, stride-2 transform splits the input image into
 * two half-resolution images, a low-frequency one the original network runs on and a high-frequency one a light
 * branch reads; the branch's class scores are added to the network's.
 * <pre>
 * x (N,C,H,W) ─→ low:  2×2 stride-2 conv per channel (starts as the Haar average)          → the original network → + → logits
 *             └→ high: 2×2 stride-2 conv per channel (starts as the Haar diagonal detail) → 3×3/2 conv → ReLU → 3×3 conv → ReLU
 *                                                                       → global average → Gemm (starts at zero) ┘
 * </pre>
 * On the half-size image the network's feature maps are halved too, so the one spatial pooling whose removal gives
 * every fully connected layer the input size it had is removed (the last such pooling: the early layers, where
 * most MACs are, run at half resolution). With the branch's Gemm at zero the redesigned model starts as the
 * network on the low-frequency image. Unlike the paper, encoder and branch are trained by the classification loss
 * alone (no decoder, reconstruction or energy-compaction loss).
 */
public final class WaveletInput {
    public record Result(Model model, String removedPooling, long macsBefore, long macsAfter, long branchMacs, long paramsBefore, long paramsAfter) {
        public Map<String, Object> summary() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("macs_before", macsBefore);
            m.put("macs_after", macsAfter);
            m.put("macs_reduction", macsAfter == 0 ? 0 : (double) macsBefore / macsAfter);
            m.put("macs_saved_share", macsBefore == 0 ? 0 : 1 - (double) macsAfter / macsBefore);
            m.put("branch_macs", branchMacs);
            m.put("params_before", paramsBefore);
            m.put("params_after", paramsAfter);
            m.put("removed_pooling", removedPooling);
            return m;
        }
    }

    private WaveletInput() {}

    public static Result run(Model input, WaveletInputConfig cfg) {
        Model m = input.copy();
        io.nnzip.engine.Canonical.apply(m);
        Graph g = m.graph();
        Map<String, ValueType> types = ShapeInference.infer(g, m.opset(), 1, Map.of());
        String x = g.runtimeInputs().getFirst().name();
        ValueType xt = types.get(x);
        if (xt == null || !xt.hasShape() || xt.shape().length != 4)
            throw new NnzipException("redesign --wavelet-input: the input '" + x + "' must be an image batch (N,C,H,W), it is " + (xt == null ? "unknown" : xt));
        int c = (int) xt.shape()[1], h = (int) xt.shape()[2], w = (int) xt.shape()[3];
        if (h % 2 != 0 || w % 2 != 0) throw new NnzipException("redesign --wavelet-input: the input '" + x + "' is " + h + "x" + w + ", not of even size");
        if (g.outputs().size() != 1) throw new NnzipException("redesign --wavelet-input: the model must have one output (class scores), it has " + g.outputs().size());
        String logits = g.outputs().getFirst().name();
        ValueType lt = types.get(logits);
        if (lt == null || !lt.hasShape() || lt.shape().length != 2 || lt.shape()[1] <= 0)
            throw new NnzipException("redesign --wavelet-input: the output '" + logits + "' must be (N, classes), it is " + (lt == null ? "unknown" : lt));
        int classes = (int) lt.shape()[1];
        Map<String, String> classifierInputs = classifierInputShapes(g, types);

        GraphRewrites.Names names = new GraphRewrites.Names(g, "wavelet");
        String low = names.next("low"), high = names.next("high");
        GraphEdits.replaceUses(g, x, low);
        float[] avg = new float[c * 4], diag = new float[c * 4];
        for (int ch = 0; ch < c; ch++) {
            Arrays.fill(avg, ch * 4, ch * 4 + 4, 0.25f);
            diag[ch * 4] = 0.5f;
            diag[ch * 4 + 1] = -0.5f;
            diag[ch * 4 + 2] = -0.5f;
            diag[ch * 4 + 3] = 0.5f;
        }
        String wl = GraphRewrites.addWeight(g, names.next("low.weight"), Tensor.of(avg, c, 1, 2, 2));
        String wh = GraphRewrites.addWeight(g, names.next("high.weight"), Tensor.of(diag, c, 1, 2, 2));
        long[] s2 = {2, 2}, s1 = {1, 1}, p0 = new long[4], p1 = {1, 1, 1, 1};
        List<Node> front = List.of(GraphRewrites.conv(names.next("low"), x, wl, null, low, 2, 2, s2, p0, s1, c),
                GraphRewrites.conv(names.next("high"), x, wh, null, high, 2, 2, s2, p0, s1, c));
        g.nodes().addAll(0, front);

        String removed = removePooling(g, m.opset(), classifierInputs);

        // the light branch on the high-frequency image, its class scores added to the network's
        SplittableRandom rnd = new SplittableRandom(cfg.seed());
        int b = cfg.branchChannels();
        String w1 = GraphRewrites.addWeight(g, names.next("branch.conv1.weight"), Tensor.of(CompactBlocks.uniform(rnd, b * c * 9, c * 9, 6), b, c, 3, 3));
        String b1 = GraphRewrites.addWeight(g, names.next("branch.conv1.bias"), Tensor.of(new float[b], b));
        String w2 = GraphRewrites.addWeight(g, names.next("branch.conv2.weight"), Tensor.of(CompactBlocks.uniform(rnd, b * b * 9, b * 9, 6), b, b, 3, 3));
        String b2 = GraphRewrites.addWeight(g, names.next("branch.conv2.bias"), Tensor.of(new float[b], b));
        String wf = GraphRewrites.addWeight(g, names.next("branch.fc.weight"), Tensor.of(new float[classes * b], classes, b));
        String bf = GraphRewrites.addWeight(g, names.next("branch.fc.bias"), Tensor.of(new float[classes], classes));
        String main = names.next("main_logits");
        Node producer = g.producers().get(logits);
        if (producer == null) throw new NnzipException("redesign --wavelet-input: no node computes the output '" + logits + "'");
        producer.outputs().replaceAll(o -> o.equals(logits) ? main : o);
        String c1 = names.next("branch.conv1"), r1 = names.next("branch.relu1"), c2 = names.next("branch.conv2"), r2 = names.next("branch.relu2"),
                gap = names.next("branch.pool"), flat = names.next("branch.flat"), bl = names.next("branch.logits");
        Node gemm = new Node(names.next("branch.fc"), "Gemm", List.of(flat, wf, bf), List.of(bl));
        gemm.set(Attribute.of("transB", 1L));
        Node fl = new Node(names.next("branch.flatten"), "Flatten", List.of(gap), List.of(flat));
        fl.set(Attribute.of("axis", 1L));
        g.nodes().addAll(List.of(
                GraphRewrites.conv(names.next("branch.conv1"), high, w1, b1, c1, 3, 3, s2, p1, s1, 1),
                new Node(names.next("branch.relu1"), "Relu", List.of(c1), List.of(r1)),
                GraphRewrites.conv(names.next("branch.conv2"), r1, w2, b2, c2, 3, 3, s1, p1, s1, 1),
                new Node(names.next("branch.relu2"), "Relu", List.of(c2), List.of(r2)),
                new Node(names.next("branch.pool"), "GlobalAveragePool", List.of(r2), List.of(gap)),
                fl, gemm,
                new Node(names.next("fuse"), "Add", List.of(main, bl), List.of(logits))));
        TopoSort.sort(g);
        g.removeUnusedInitializers();
        GraphValidator.validate(g);
        ModelStats before = ModelStats.of(input), after = ModelStats.of(m);
        int hh = h / 2, hw = w / 2, bh = (hh - 1) / 2 + 1, bw = (hw - 1) / 2 + 1;
        long branch = (long) c * 4 * hh * hw * 2 + (long) b * c * 9 * bh * bw + (long) b * b * 9 * bh * bw + (long) classes * b;
        Result r = new Result(m, removed, before.macs, after.macs, branch, before.params, after.params);
        Provenance.record(m, "redesign", cfg.describe(), WaveletInputConfig.FIELDS, r.summary());
        return r;
    }

    /** Shapes of the values fully connected layers (Gemm, MatMul with a constant operand) read. */
    private static Map<String, String> classifierInputShapes(Graph g, Map<String, ValueType> types) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            boolean fc = n.opType().equals("Gemm") || n.opType().equals("MatMul") && (g.isInitializer(n.input(0)) || g.isInitializer(n.input(1)));
            if (!fc) continue;
            for (String in : n.inputs()) {
                if (in.isEmpty() || g.isInitializer(in)) continue;
                ValueType t = types.get(in);
                m.put(in, t == null ? "?" : t.toString());
            }
        }
        return m;
    }

    /**
     * Removes the last stride-2 pooling whose removal gives every fully connected layer's input the shape it had
     * on the full-size image; returns its name, or null when no removal is needed (a global pooling ends the
     * feature extractor).
     */
    private static String removePooling(Graph g, int opset, Map<String, String> classifierInputs) {
        try {
            if (classifierInputs.equals(classifierInputShapes(g, ShapeInference.infer(g, opset, 1, Map.of())))) return null;
        } catch (RuntimeException e) {
            // shapes do not fit without a removal
        }
        List<Node> pools = new ArrayList<>();
        for (Node n : g.nodes())
            if ((n.opType().equals("MaxPool") || n.opType().equals("AveragePool")) && Arrays.stream(n.attrInts("strides", new long[] {1, 1})).allMatch(v -> v == 2))
                pools.add(n);
        for (int i = pools.size() - 1; i >= 0; i--) {
            Graph trial = g.copy();
            Node p = trial.nodes().get(g.nodes().indexOf(pools.get(i)));
            if (!GraphEdits.bypass(trial, p)) continue;
            Map<String, ValueType> types;
            try {
                types = ShapeInference.infer(trial, opset, 1, Map.of());
            } catch (RuntimeException e) {
                continue;
            }
            if (classifierInputs.equals(classifierInputShapes(trial, types))) {
                GraphEdits.bypass(g, pools.get(i));
                return pools.get(i).name().isEmpty() ? pools.get(i).output(0) : pools.get(i).name();
            }
        }
        throw new NnzipException("redesign --wavelet-input: on the half-size image no single stride-2 pooling's removal gives the fully connected layers "
                + "the input shapes they had " + classifierInputs);
    }
}
