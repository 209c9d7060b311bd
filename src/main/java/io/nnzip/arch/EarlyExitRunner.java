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
 * answers). Batched: each stage runs once on the samples still undecided.
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

    /**
     * The whole batch enters stage 0; after each stage the samples that are confident (or at the last exit) are
     * answered and only the rest, as a smaller batch, go on to the next stage.
     */
    public Map<String, Tensor> run(Map<String, Tensor> feeds, double threshold) {
        Tensor first = feeds.get(modelInputs.getFirst().name());
        if (first == null) throw new NnzipException("missing input '" + modelInputs.getFirst().name() + "'");
        int n = first.dim(0);
        float[][] rows = new float[n][];
        long[] exit = new long[n], macs = new long[n];
        int classes = 0;
        int[] active = new int[n];
        for (int s = 0; s < n; s++) active[s] = s;
        Map<String, Tensor> env = new HashMap<>();
        for (ValueInfo v : modelInputs) env.put(v.name(), feeds.get(v.name()));
        for (int i = 0; i < executors.size() && active.length > 0; i++) {
            Map<String, Tensor> f = new LinkedHashMap<>();
            for (String v : inputs.get(i)) f.put(v, env.get(v));
            Map<String, Tensor> out = executors.get(i).run(f, keep.get(i));
            env.putAll(out);
            float[] logits = out.get(stages.exits.get(i)).toFloats();
            classes = logits.length / active.length;
            boolean last = i == executors.size() - 1;
            int[] stay = new int[active.length];
            int staying = 0;
            for (int r = 0; r < active.length; r++) {
                float[] z = java.util.Arrays.copyOfRange(logits, r * classes, (r + 1) * classes);
                if (last || topProbability(z) >= threshold) {
                    rows[active[r]] = z;
                    exit[active[r]] = i;
                    macs[active[r]] = stages.cumulativeMacs[i];
                } else {
                    stay[staying++] = r;
                }
            }
            if (staying == active.length) continue;
            int[] keepRows = java.util.Arrays.copyOf(stay, staying);
            int[] next = new int[staying];
            for (int r = 0; r < staying; r++) next[r] = active[keepRows[r]];
            int batch = active.length;
            // values without a batch axis (shapes, constants computed in a stage) pass through unchanged
            env.replaceAll((name, t) -> t.rank() > 0 && t.dim(0) == batch ? gatherRows(t, keepRows) : t);
            active = next;
        }
        float[] all = new float[n * classes];
        for (int s = 0; s < n; s++) System.arraycopy(rows[s], 0, all, s * classes, classes);
        Map<String, Tensor> res = new LinkedHashMap<>();
        res.put("logits", Tensor.of(all, n, classes));
        res.put("exit", Tensor.ofLongs(exit, n));
        res.put("macs", Tensor.ofLongs(macs, n));
        return res;
    }

    /** The given rows (axis 0) of a tensor of any element type. */
    static Tensor gatherRows(Tensor t, int[] rowIdx) {
        int[] s = t.shape();
        int row = t.size() / s[0];
        Object out = Tensor.allocate(t.dtype(), rowIdx.length * row);
        for (int r = 0; r < rowIdx.length; r++) System.arraycopy(t.data(), rowIdx[r] * row, out, r * row, row);
        s[0] = rowIdx.length;
        return new Tensor(t.dtype(), s, out);
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
