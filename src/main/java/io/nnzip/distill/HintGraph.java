package io.nnzip.distill;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The student's training graph when FitNets hints are used: each hint adds a learned 1×1 convolution (the
 * regressor) from the student's feature map to the teacher's channel count (spatial sizes must match), or for a
 * transformer's hidden states (B,T,C) a MatMul over C (token counts must match). The graph's
 * output stays the logits; the trainer reads each regressor's prediction as an intermediate value
 * ({@link #predictions}). {@link #strip} returns the plain student afterwards.
 * <pre>student value i: (N,Cs,H,W) -> prediction i: (N,Ct,H,W) like teacher value i</pre>
 */
public final class HintGraph {
    public final Model training;
    /** The regressors' outputs, in the order of the hints. */
    public final List<String> predictions;
    private final java.util.Set<String> added;

    private HintGraph(Model training, List<String> predictions, java.util.Set<String> added) {
        this.training = training;
        this.predictions = predictions;
        this.added = added;
    }

    public static HintGraph build(Model student, Model teacher, List<DistillConfig.Hint> hints, long seed) {
        Model m = student.copy();
        Graph g = m.graph();
        Map<String, ValueType> st = ShapeInference.infer(g, m.opset(), 1, Map.of());
        Map<String, ValueType> tt = ShapeInference.infer(teacher.graph(), teacher.opset(), 1, Map.of());
        List<String> preds = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < hints.size(); i++) {
            DistillConfig.Hint h = hints.get(i);
            ValueType sv = st.get(h.studentValue()), tv = tt.get(h.teacherValue());
            if (sv == null) throw new NnzipException("--hint: the student has no value '" + h.studentValue() + "'");
            if (tv == null) throw new NnzipException("--hint: the teacher has no value '" + h.teacherValue() + "'");
            // transformer hidden states (B,T,C) with equal token counts: the regressor is a MatMul over C
            boolean tokens = sv.rank() == 3 && tv.rank() == 3 && sv.shape()[1] == tv.shape()[1];
            if (!tokens && (sv.rank() != 4 || tv.rank() != 4 || sv.shape()[2] != tv.shape()[2] || sv.shape()[3] != tv.shape()[3]))
                throw new NnzipException("--hint " + h + ": feature maps must be (N,C,H,W) with equal H,W or hidden states (B,T,C) with equal T; student "
                        + sv + ", teacher " + tv);
            int cs = sv.shape()[tokens ? 2 : 1], ct = tv.shape()[tokens ? 2 : 1];
            float[] w = new float[ct * cs];
            double std = Math.sqrt(1.0 / cs);
            for (int j = 0; j < w.length; j++) w[j] = (float) (std * Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble()));
            String wn = g.freshName("hint" + i + "_regressor.weight");
            g.initializers().put(wn, tokens ? Tensor.of(w, cs, ct) : Tensor.of(w, ct, cs, 1, 1));
            String pred = g.freshName("hint" + i + "_prediction");
            g.nodes().add(new Node(g.freshName("hint" + i + "_regressor"), tokens ? "MatMul" : "Conv", List.of(h.studentValue(), wn), List.of(pred)));
            preds.add(pred);
        }
        java.util.Set<String> added = new java.util.HashSet<>();
        for (Node n : g.nodes()) if (student.graph().node(n.name()) == null) added.add(n.name());
        return new HintGraph(m, List.copyOf(preds), added);
    }

    /** The trained student without regressors: hint nodes and weights dropped. */
    public Model strip(Model trained) {
        Model m = trained.copy();
        Graph g = m.graph();
        g.nodes().removeIf(n -> added.contains(n.name()));
        g.removeUnusedInitializers();
        return m;
    }
}
