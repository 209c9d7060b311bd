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
 * branch reads. As in the paper the branch's features join the network's before the classifier: its map, pooled onto
 * the grid of the network's last feature map, goes through a Gemm added to the first fully connected layer's output
 * (the same as concatenating it to that layer's input); {@code fuse = logits} adds pooled class scores instead.
 * <pre>
 * x (N,C,H,W) ─→ low:  2×2 stride-2 conv per channel → the network up to its first FC layer → + → rest of the network
 *             └→ high: 2×2 stride-2 conv per channel → 3×3/2 conv → ReLU → 3×3 conv → ReLU → pool → Gemm (zero) ┘
 * </pre>
 * The two filters start as the Karhunen–Loève pair of the calibration images' 2×2 patches ({@link WaveletSplit}), or
 * Haar without images.
 * On the half-size image the network's feature maps are halved too, so the one spatial pooling whose removal gives
 * every fully connected layer the input size it had is removed (the last such pooling: the early layers, where
 * most MACs are, run at half resolution). With the branch's Gemm at zero the redesigned model starts as the
 * network on the low-frequency image. Unlike the paper, fine-tuning trains encoder and branch by the task loss alone
 * (no decoder in the graph): the reconstruction and energy losses shape only the encoder's start.
 */
public final class WaveletInput {
    public record Result(Model model, String removedPooling, long macsBefore, long macsAfter, long branchMacs, long paramsBefore, long paramsAfter,
                         WaveletSplit split) {
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
            m.putAll(split.summary());
            return m;
        }
    }

    private WaveletInput() {}

    public static Result run(Model input, WaveletInputConfig cfg) { return run(input, cfg, null); }

    /** @param calib images as the network reads them, for the encoder's start (null: Haar) */
    public static Result run(Model input, WaveletInputConfig cfg, Tensor calib) {
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
        WaveletSplit split = calib == null ? WaveletSplit.haar(c) : WaveletSplit.klt(calib);
        String wl = GraphRewrites.addWeight(g, names.next("low.weight"), Tensor.of(split.low(), c, 1, 2, 2));
        String wh = GraphRewrites.addWeight(g, names.next("high.weight"), Tensor.of(split.high(), c, 1, 2, 2));
        long[] s2 = {2, 2}, s1 = {1, 1}, p0 = new long[4], p1 = {1, 1, 1, 1};
        List<Node> front = List.of(GraphRewrites.conv(names.next("low"), x, wl, null, low, 2, 2, s2, p0, s1, c),
                GraphRewrites.conv(names.next("high"), x, wh, null, high, 2, 2, s2, p0, s1, c));
        g.nodes().addAll(0, front);

        String removed = removePooling(g, m.opset(), classifierInputs);
        int hh = h / 2, hw = w / 2, bh = (hh - 1) / 2 + 1, bw = (hw - 1) / 2 + 1;
        long macsMain = ModelStats.of(m).macs - (long) c * 4 * hh * hw;
        Map<String, ValueType> now = ShapeInference.infer(g, m.opset(), 1, Map.of());

        // the light branch on the high-frequency image: 3×3/2 conv → ReLU → 3×3 conv → ReLU, then either its spatial
        // features into the first fully connected layer (the paper's fusion) or its pooled features into class scores
        SplittableRandom rnd = new SplittableRandom(cfg.seed());
        int b = cfg.branchChannels();
        String w1 = GraphRewrites.addWeight(g, names.next("branch.conv1.weight"), Tensor.of(CompactBlocks.uniform(rnd, b * c * 9, c * 9, 6), b, c, 3, 3));
        String b1 = GraphRewrites.addWeight(g, names.next("branch.conv1.bias"), Tensor.of(new float[b], b));
        String w2 = GraphRewrites.addWeight(g, names.next("branch.conv2.weight"), Tensor.of(CompactBlocks.uniform(rnd, b * b * 9, b * 9, 6), b, b, 3, 3));
        String b2 = GraphRewrites.addWeight(g, names.next("branch.conv2.bias"), Tensor.of(new float[b], b));
        String c1 = names.next("branch.conv1"), r1 = names.next("branch.relu1"), c2 = names.next("branch.conv2"), r2 = names.next("branch.relu2"),
                pooled = names.next("branch.pool"), flat = names.next("branch.flat"), bl = names.next("branch.out");
        List<Node> branch = new ArrayList<>(List.of(
                GraphRewrites.conv(names.next("branch.conv1"), high, w1, b1, c1, 3, 3, s2, p1, s1, 1),
                new Node(names.next("branch.relu1"), "Relu", List.of(c1), List.of(r1)),
                GraphRewrites.conv(names.next("branch.conv2"), r1, w2, b2, c2, 3, 3, s1, p1, s1, 1),
                new Node(names.next("branch.relu2"), "Relu", List.of(c2), List.of(r2))));
        String target;
        int joinWidth, features;
        if (cfg.fuse().equals("features")) {
            Node fc = firstFullyConnected(g);
            target = fc.output(0);
            joinWidth = (int) now.get(target).shape()[1];
            // the branch map pooled onto the grid the network's last feature map has, when one k×k/k pooling gets there
            int[] grid = featureGrid(g, fc, now);
            int k = grid == null ? 0 : bh / grid[0];
            if (grid != null && k >= 1 && bw / grid[1] == k && bh / k == grid[0] && bw / k == grid[1]) {
                features = b * grid[0] * grid[1];
                if (k > 1) {
                    Node mp = new Node(names.next("branch.pool"), "MaxPool", List.of(r2), List.of(pooled));
                    mp.set(Attribute.of("kernel_shape", (long) k, (long) k));
                    mp.set(Attribute.of("strides", (long) k, (long) k));
                    branch.add(mp);
                } else {
                    pooled = r2;
                }
            } else {
                features = b;
                branch.add(new Node(names.next("branch.pool"), "GlobalAveragePool", List.of(r2), List.of(pooled)));
            }
        } else {
            target = logits;
            joinWidth = classes;
            features = b;
            branch.add(new Node(names.next("branch.pool"), "GlobalAveragePool", List.of(r2), List.of(pooled)));
        }
        // the join starts at zero, so the redesigned model starts as the network on the low-frequency image
        String wf = GraphRewrites.addWeight(g, names.next("branch.fc.weight"), Tensor.of(new float[joinWidth * features], joinWidth, features));
        String bf = GraphRewrites.addWeight(g, names.next("branch.fc.bias"), Tensor.of(new float[joinWidth], joinWidth));
        String main = names.next("main");
        Node producer = g.producers().get(target);
        if (producer == null) throw new NnzipException("redesign --wavelet-input: no node computes '" + target + "'");
        String joined = target;
        producer.outputs().replaceAll(o -> o.equals(joined) ? main : o);
        Node gemm = new Node(names.next("branch.fc"), "Gemm", List.of(flat, wf, bf), List.of(bl));
        gemm.set(Attribute.of("transB", 1L));
        Node fl = new Node(names.next("branch.flatten"), "Flatten", List.of(pooled), List.of(flat));
        fl.set(Attribute.of("axis", 1L));
        branch.addAll(List.of(fl, gemm, new Node(names.next("fuse"), "Add", List.of(main, bl), List.of(target))));
        g.nodes().addAll(branch);
        TopoSort.sort(g);
        g.removeUnusedInitializers();
        GraphValidator.validate(g);
        ModelStats before = ModelStats.of(input), after = ModelStats.of(m);
        Result r = new Result(m, removed, before.macs, after.macs, after.macs - macsMain, before.params, after.params, split);
        Provenance.record(m, "redesign", cfg.describe(), WaveletInputConfig.FIELDS, r.summary());
        return r;
    }

    /** The first Gemm, or MatMul with a constant operand, in execution order: where the feature extractor ends. */
    private static Node firstFullyConnected(Graph g) {
        for (Node n : g.nodes())
            if (n.opType().equals("Gemm") || n.opType().equals("MatMul") && (g.isInitializer(n.input(0)) || g.isInitializer(n.input(1)))) return n;
        throw new NnzipException("redesign --wavelet-input --branch-fuse features: the model has no fully connected layer to join the branch to");
    }

    /** Height and width of the 4-D map a fully connected layer reads through Flatten or Reshape; null if none. */
    private static int[] featureGrid(Graph g, Node fc, Map<String, ValueType> types) {
        String v = fc.input(g.isInitializer(fc.input(0)) ? 1 : 0);
        for (int hop = 0; hop < 4; hop++) {
            ValueType t = types.get(v);
            if (t != null && t.hasShape() && t.shape().length == 4) return new int[] {(int) t.shape()[2], (int) t.shape()[3]};
            Node p = g.producers().get(v);
            if (p == null || !(p.opType().equals("Flatten") || p.opType().equals("Reshape") || p.opType().equals("Dropout") || p.opType().equals("Identity"))) return null;
            v = p.input(0);
        }
        return null;
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
