package io.nnzip.arch;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs an anytime model (made by {@code nnzip dynamic}) with early exit: each sample goes through the stages in
 * order and stops at the first exit whose top softmax probability reaches the threshold (the last exit always
 * answers). Per sample, because each sample may stop at a different depth.
 * <pre>x: (N,...) -> logits: (N,classes), exit: (N) int64, macs: (N) int64</pre>
 */
public final class EarlyExitRunner {
    public static final String METADATA_KEY = "nnzip.dynamic";
    private final ExitStages stages;
    private final List<Executor> executors = new ArrayList<>();
    private final List<Set<String>> inputs;
    private final List<List<String>> keep = new ArrayList<>();
    private final List<ValueInfo> modelInputs;

    public EarlyExitRunner(Model m, Parallel parallel) {
        if (!m.metadata().containsKey(METADATA_KEY))
            throw new NnzipException("--early-exit needs an anytime model made by 'nnzip dynamic' (no " + METADATA_KEY + " metadata)");
        Graph g = m.graph();
        stages = new ExitStages(m);
        inputs = stages.stageInputs(g);
        modelInputs = g.runtimeInputs();
        for (int i = 0; i < stages.stages.size(); i++) {
            Set<String> later = new HashSet<>();
            for (int j = i + 1; j < stages.stages.size(); j++) later.addAll(inputs.get(j));
            Graph sg = new Graph(g.name() + "_stage" + i);
            for (Node n : stages.stages.get(i)) sg.nodes().add(n);
            for (String v : inputs.get(i)) {
                ValueInfo declared = g.input(v);
                sg.inputs().add(declared != null ? declared : new ValueInfo(v, null, null));
            }
            List<String> kept = new ArrayList<>();
            sg.outputs().add(new ValueInfo(stages.exits.get(i), DType.FLOAT, null));
            for (Node n : stages.stages.get(i)) for (String o : n.outputs()) if (later.contains(o)) kept.add(o);
            for (String o : kept) if (!o.equals(stages.exits.get(i))) sg.outputs().add(new ValueInfo(o, null, null));
            for (Node n : sg.nodes()) for (String v : io.nnzip.ir.TopoSort.allInputs(n)) if (g.isInitializer(v)) sg.initializers().put(v, g.initializer(v));
            keep.add(kept);
            executors.add(new Executor(sg, m.opset(), parallel));
        }
    }

    public long[] cumulativeMacs() { return stages.cumulativeMacs.clone(); }

    public Map<String, Tensor> run(Map<String, Tensor> feeds, double threshold) {
        Tensor first = feeds.get(modelInputs.getFirst().name());
        if (first == null) throw new NnzipException("missing input '" + modelInputs.getFirst().name() + "'");
        int n = first.dim(0);
        List<float[]> rows = new ArrayList<>();
        long[] exit = new long[n], macs = new long[n];
        int classes = -1;
        for (int s = 0; s < n; s++) {
            Map<String, Tensor> env = new HashMap<>();
            for (ValueInfo v : modelInputs) env.put(v.name(), Calibration.slice(feeds.get(v.name()), s, s + 1));
            for (int i = 0; i < executors.size(); i++) {
                Map<String, Tensor> f = new LinkedHashMap<>();
                for (String v : inputs.get(i)) f.put(v, env.get(v));
                Map<String, Tensor> out = executors.get(i).run(f, keep.get(i));
                env.putAll(out);
                float[] logits = out.get(stages.exits.get(i)).toFloats();
                if (i == executors.size() - 1 || topProbability(logits) >= threshold) {
                    rows.add(logits);
                    classes = logits.length;
                    exit[s] = i;
                    macs[s] = stages.cumulativeMacs[i];
                    break;
                }
            }
        }
        float[] all = new float[n * Math.max(classes, 0)];
        for (int s = 0; s < n; s++) System.arraycopy(rows.get(s), 0, all, s * classes, classes);
        Map<String, Tensor> res = new LinkedHashMap<>();
        res.put("logits", Tensor.of(all, n, Math.max(classes, 0)));
        res.put("exit", Tensor.ofLongs(exit, n));
        res.put("macs", Tensor.ofLongs(macs, n));
        return res;
    }

    /** max softmax(z), computed stably. */
    public static double topProbability(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) max = Math.max(max, v);
        double sum = 0;
        for (float v : z) sum += Math.exp(v - max);
        return 1 / sum;
    }
}
