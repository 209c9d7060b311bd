package io.nnzip.distill;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The student's training graph when FitNets hints are used. The trainer optimizes one output, so the logits
 * and every hint regressor's prediction are flattened and concatenated into one (N, K + Σ hint sizes) output; the
 * objective splits it again. Each regressor is a learned 1×1 convolution from the student's feature map to the
 * teacher's channel count (spatial sizes must match). {@link #strip} returns the plain student afterwards.
 * <pre>logits: (N,K), hint_i: (N,Ct,H,W) -> training output: (N, K + Σ Ct·H·W)</pre>
 */
public final class HintGraph {
    public final Model training;
    public final int classes;
    /** Flattened size of each hint's prediction, in order. */
    public final int[] hintSizes;
    private final String originalOutput;
    private final java.util.Set<String> added;

    private HintGraph(Model training, int classes, int[] hintSizes, String originalOutput, java.util.Set<String> added) {
        this.training = training;
        this.classes = classes;
        this.hintSizes = hintSizes;
        this.originalOutput = originalOutput;
        this.added = added;
    }

    public static HintGraph build(Model student, Model teacher, List<DistillConfig.Hint> hints, long seed) {
        Model m = student.copy();
        Graph g = m.graph();
        Map<String, ValueType> st = ShapeInference.infer(g, m.opset(), 1, Map.of());
        Map<String, ValueType> tt = ShapeInference.infer(teacher.graph(), teacher.opset(), 1, Map.of());
        String out = g.outputNames().getFirst();
        int classes = st.get(out).shape()[1];
        List<String> parts = new ArrayList<>();
        parts.add(out);
        int[] sizes = new int[hints.size()];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < hints.size(); i++) {
            DistillConfig.Hint h = hints.get(i);
            ValueType sv = st.get(h.studentValue()), tv = tt.get(h.teacherValue());
            if (sv == null) throw new NnzipException("--hint: the student has no value '" + h.studentValue() + "'");
            if (tv == null) throw new NnzipException("--hint: the teacher has no value '" + h.teacherValue() + "'");
            if (sv.rank() != 4 || tv.rank() != 4 || sv.shape()[2] != tv.shape()[2] || sv.shape()[3] != tv.shape()[3])
                throw new NnzipException("--hint " + h + ": feature maps must be (N,C,H,W) with equal H,W; student " + sv + ", teacher " + tv);
            int cs = sv.shape()[1], ct = tv.shape()[1];
            float[] w = new float[ct * cs];
            double std = Math.sqrt(1.0 / cs);
            for (int j = 0; j < w.length; j++) w[j] = (float) (std * Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble()));
            String wn = g.freshName("hint" + i + "_regressor.weight");
            g.initializers().put(wn, Tensor.of(w, ct, cs, 1, 1));
            String pred = g.freshName("hint" + i + "_prediction");
            g.nodes().add(new Node(g.freshName("hint" + i + "_regressor"), "Conv", List.of(h.studentValue(), wn), List.of(pred)));
            String flat = g.freshName("hint" + i + "_flat");
            Node f = new Node(g.freshName("hint" + i + "_flatten"), "Flatten", List.of(pred), List.of(flat));
            f.set(Attribute.of("axis", 1L));
            g.nodes().add(f);
            parts.add(flat);
            sizes[i] = ct * tv.shape()[2] * tv.shape()[3];
        }
        String joined = g.freshName("distill_training_output");
        Node cat = new Node(g.freshName("distill_concat"), "Concat", parts, List.of(joined));
        cat.set(Attribute.of("axis", 1L));
        g.nodes().add(cat);
        g.outputs().clear();
        g.outputs().add(new ValueInfo(joined, DType.FLOAT, null));
        java.util.Set<String> added = new java.util.HashSet<>();
        for (Node n : g.nodes()) if (student.graph().node(n.name()) == null) added.add(n.name());
        return new HintGraph(m, classes, sizes, out, added);
    }

    /** The trained student without regressors: original output restored, hint nodes and weights dropped. */
    public Model strip(Model trained, ValueInfo originalOutputInfo) {
        Model m = trained.copy();
        Graph g = m.graph();
        g.nodes().removeIf(n -> added.contains(n.name()));
        g.outputs().clear();
        g.outputs().add(originalOutputInfo.name().equals(originalOutput) ? originalOutputInfo : originalOutputInfo.withName(originalOutput));
        g.removeUnusedInitializers();
        return m;
    }
}
