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
 * On the half-size image the network's feature maps are halved too, so one spatial pooling whose removal gives
 * every fully connected layer the input size it had is removed. Which one is a trade: the layers before it run at
 * half resolution, the layers after it at the resolution they had. Removing the last one saves the most MACs (75 %
 * on the 3-conv Fashion-MNIST CNN) but leaves its last convolution a 3×3 map; {@code target_macs} picks the earliest
 * removal that stays within that share of the original's MACs, so the MACs the target leaves go to resolution.
 * Convolutions then stop computing the border a floor-mode pooling drops ({@link UnusedBorderTrim}; same function).
 * With the branch's Gemm at zero the redesigned model starts as the network on the low-frequency image. Unlike the paper, fine-tuning trains encoder and branch by the task loss alone
 * (no decoder in the graph): the reconstruction and energy losses shape only the encoder's start.
 */
public final class WaveletInput {
    public record Result(Model model, String removedPooling, long macsBefore, long macsAfter, long branchMacs, long paramsBefore, long paramsAfter,
                         WaveletSplit split, long macsBeforeTrimmed, float targetMacs, long trimmedConvs) {
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
            m.put("target_macs", targetMacs);
            m.put("target_macs_met", macsAfter <= targetMacs * macsBefore);
            // convolutions that no longer compute the border their pooling drops; the original with the same cut,
            // so the saving does not rest on that cut alone
            m.put("border_trimmed_convs", trimmedConvs);
            m.put("macs_before_border_trimmed", macsBeforeTrimmed);
            m.put("macs_saved_share_vs_border_trimmed", macsBeforeTrimmed == 0 ? 0 : 1 - (double) macsAfter / macsBeforeTrimmed);
            m.putAll(split.summary());
            return m;
        }
    }

    private WaveletInput() {}

    public static Result run(Model input, WaveletInputConfig cfg) { return run(input, cfg, null); }

    /** @param calib images as the network reads them, for the encoder's start (null: Haar) */
    public static Result run(Model input, WaveletInputConfig cfg, Tensor calib) {
        Model canon = input.copy();
        io.nnzip.engine.Canonical.apply(canon);
        Graph g0 = canon.graph();
        Map<String, ValueType> types = ShapeInference.infer(g0, canon.opset(), 1, Map.of());
        String x = g0.runtimeInputs().getFirst().name();
        ValueType xt = types.get(x);
        if (xt == null || !xt.hasShape() || xt.shape().length != 4)
            throw new NnzipException("redesign --wavelet-input: the input '" + x + "' must be an image batch (N,C,H,W), it is " + (xt == null ? "unknown" : xt));
        int c = (int) xt.shape()[1], h = (int) xt.shape()[2], w = (int) xt.shape()[3];
        if (h % 2 != 0 || w % 2 != 0) throw new NnzipException("redesign --wavelet-input: the input '" + x + "' is " + h + "x" + w + ", not of even size");
        if (g0.outputs().size() != 1) throw new NnzipException("redesign --wavelet-input: the model must have one output (class scores), it has " + g0.outputs().size());
        ValueType lt = types.get(g0.outputs().getFirst().name());
        if (lt == null || !lt.hasShape() || lt.shape().length != 2 || lt.shape()[1] <= 0)
            throw new NnzipException("redesign --wavelet-input: the output '" + g0.outputs().getFirst().name() + "' must be (N, classes), it is " + (lt == null ? "unknown" : lt));
        WaveletSplit split = calib == null ? WaveletSplit.haar(c) : WaveletSplit.klt(calib);
        float[] rest = cfg.fuse().equals("input") ? WaveletSplit.rest(c, calib) : null;
        ModelStats before = ModelStats.of(input);
        // the same border cut on the original, so the saving can be read against an original that skips it too
        Model trimmedOriginal = canon.copy();
        UnusedBorderTrim.apply(trimmedOriginal.graph(), trimmedOriginal.opset());
        long macsTrimmed = ModelStats.of(trimmedOriginal).macs;

        // one candidate per pooling whose removal fits the half-size image (or none when no removal is needed), earliest first:
        // removing an earlier pooling keeps more of the network at full resolution, and costs more MACs
        List<Integer> pools = new ArrayList<>();
        pools.add(-1);
        for (int i = 0; i < g0.nodes().size(); i++) {
            Node n = g0.nodes().get(i);
            if ((n.opType().equals("MaxPool") || n.opType().equals("AveragePool")) && Arrays.stream(n.attrInts("strides", new long[] {1, 1})).allMatch(v -> v == 2))
                pools.add(i);
        }
        List<Model> fits = new ArrayList<>();
        List<String> removedNames = new ArrayList<>();
        List<long[]> macs = new ArrayList<>();
        for (int p : pools) {
            Model m = canon.copy();
            String removed = p < 0 ? null : poolName(m.graph().nodes().get(p));
            long[] mm = rest != null ? buildInput(m, split, rest, p, c, h, w, types) : build(m, cfg, split, p, c, h, w, types);
            if (mm == null) continue;
            if (p < 0) {
                // no removal needed (a global pooling ends the feature extractor): the only sensible candidate
                fits.clear();
                removedNames.clear();
                macs.clear();
                fits.add(m);
                removedNames.add(null);
                macs.add(mm);
                break;
            }
            fits.add(m);
            removedNames.add(removed);
            macs.add(mm);
        }
        if (fits.isEmpty())
            throw new NnzipException("redesign --wavelet-input: on the half-size image no single stride-2 pooling's removal gives the fully connected layers "
                    + "the input shapes they had " + classifierInputShapes(g0, types));
        int pick = 0;
        for (int i = 1; i < fits.size(); i++) if (macs.get(i)[0] < macs.get(pick)[0]) pick = i;
        if (cfg.targetMacs() > 0)
            for (int i = 0; i < fits.size(); i++)
                if (macs.get(i)[0] <= cfg.targetMacs() * before.macs) {
                    pick = i;
                    break;
                }
        Model m = fits.get(pick);
        ModelStats after = ModelStats.of(m);
        Result r = new Result(m, removedNames.get(pick), before.macs, after.macs, after.macs - macs.get(pick)[1], before.params, after.params, split,
                macsTrimmed, cfg.targetMacs(), macs.get(pick)[2]);
        Provenance.record(m, "redesign", cfg.describe(), WaveletInputConfig.FIELDS, r.summary());
        return r;
    }

    private static String poolName(Node n) { return n.name().isEmpty() ? n.output(0) : n.name(); }

    /**
     * Rewrites {@code m} (canonical) in place with the pooling at node index {@code pool} removed (-1: none); returns
     * {MACs, MACs of the network without the branch, convolutions whose unused border was cut}, or null when the
     * fully connected layers do not get the input shapes they had.
     */
    private static long[] build(Model m, WaveletInputConfig cfg, WaveletSplit split, int pool, int c, int h, int w, Map<String, ValueType> types) {
        Graph g = m.graph();
        String x = g.runtimeInputs().getFirst().name();
        String logits = g.outputs().getFirst().name();
        int classes = (int) types.get(logits).shape()[1];
        Map<String, String> classifierInputs = classifierInputShapes(g, types);
        Node removed = pool < 0 ? null : g.nodes().get(pool);
        if (removed != null && !GraphEdits.bypass(g, removed)) return null;

        GraphRewrites.Names names = new GraphRewrites.Names(g, "wavelet");
        String low = names.next("low"), high = names.next("high");
        GraphEdits.replaceUses(g, x, low);
        String wl = GraphRewrites.addWeight(g, names.next("low.weight"), Tensor.of(split.low(), c, 1, 2, 2));
        String wh = GraphRewrites.addWeight(g, names.next("high.weight"), Tensor.of(split.high(), c, 1, 2, 2));
        long[] s2 = {2, 2}, s1 = {1, 1}, p0 = new long[4], p1 = {1, 1, 1, 1};
        List<Node> front = List.of(GraphRewrites.conv(names.next("low"), x, wl, null, low, 2, 2, s2, p0, s1, c),
                GraphRewrites.conv(names.next("high"), x, wh, null, high, 2, 2, s2, p0, s1, c));
        g.nodes().addAll(0, front);
        Map<String, ValueType> now;
        try {
            now = ShapeInference.infer(g, m.opset(), 1, Map.of());
        } catch (RuntimeException e) {
            return null;
        }
        if (!classifierInputs.equals(classifierInputShapes(g, now))) return null;
        int trimmed = UnusedBorderTrim.apply(g, m.opset());
        int hh = h / 2, hw = w / 2, bh = (hh - 1) / 2 + 1, bw = (hw - 1) / 2 + 1;
        long macsMain = ModelStats.of(m).macs - (long) c * 4 * hh * hw;
        now = ShapeInference.infer(g, m.opset(), 1, Map.of());

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
        return new long[] {ModelStats.of(m).macs, macsMain, trimmed};
    }

    /**
     * {@code fuse = input}: no branch; the four 2×2 subband images (low, high and the two remaining details, one 2×2
     * stride-2 filter each) are the input channels of every convolution that read the image. Those convolutions get
     * zero weights for the three detail channels, so the rewrite starts as the network on the low-frequency image,
     * and fine-tuning decides how much of the detail it uses: unlike the two-image split, nothing of the input is lost.
     * Same return as {@link #build}; null also when something other than a dense convolution reads the image.
     */
    private static long[] buildInput(Model m, WaveletSplit split, float[] rest, int pool, int c, int h, int w, Map<String, ValueType> types) {
        Graph g = m.graph();
        String x = g.runtimeInputs().getFirst().name();
        Map<String, String> classifierInputs = classifierInputShapes(g, types);
        List<Node> readers = List.copyOf(g.consumers().getOrDefault(x, List.of()));
        if (readers.isEmpty()) return null;
        for (Node r : readers)
            if (!r.opType().equals("Conv") || !g.isInitializer(r.input(1)) || r.attrInt("group", 1) != 1 || g.initializer(r.input(1)).dim(1) != c) return null;
        Node removed = pool < 0 ? null : g.nodes().get(pool);
        if (removed != null && !GraphEdits.bypass(g, removed)) return null;
        GraphRewrites.Names names = new GraphRewrites.Names(g, "wavelet");
        float[] f = new float[c * 16];
        for (int ch = 0; ch < c; ch++) {
            System.arraycopy(split.low(), ch * 4, f, ch * 16, 4);
            System.arraycopy(split.high(), ch * 4, f, ch * 16 + 4, 4);
            System.arraycopy(rest, ch * 8, f, ch * 16 + 8, 8);
        }
        for (Node r : readers) {
            Tensor w0 = g.initializer(r.input(1));
            int o = w0.dim(0), kh = w0.dim(2), kw = w0.dim(3), k = kh * kw;
            float[] a = w0.toFloats(), b = new float[o * 4 * c * k];
            for (int oc = 0; oc < o; oc++)
                for (int ch = 0; ch < c; ch++) System.arraycopy(a, (oc * c + ch) * k, b, (oc * 4 * c + 4 * ch) * k, k);
            r.inputs().set(1, GraphRewrites.addWeight(g, names.next("input_conv.weight"), Tensor.of(b, o, 4 * c, kh, kw)));
        }
        String sub = names.next("subbands");
        GraphEdits.replaceUses(g, x, sub);
        String wf = GraphRewrites.addWeight(g, names.next("subbands.weight"), Tensor.of(f, 4 * c, 1, 2, 2));
        g.nodes().add(0, GraphRewrites.conv(names.next("subbands"), x, wf, null, sub, 2, 2, new long[] {2, 2}, new long[4], new long[] {1, 1}, c));
        try {
            if (!classifierInputs.equals(classifierInputShapes(g, ShapeInference.infer(g, m.opset(), 1, Map.of())))) return null;
        } catch (RuntimeException e) {
            return null;
        }
        int trimmed = UnusedBorderTrim.apply(g, m.opset());
        TopoSort.sort(g);
        g.removeUnusedInitializers();
        GraphValidator.validate(g);
        long macs = ModelStats.of(m).macs;
        return new long[] {macs, macs, trimmed};
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
}
