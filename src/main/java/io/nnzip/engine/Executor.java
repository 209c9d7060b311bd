package io.nnzip.engine;

import io.nnzip.ir.DType;
import io.nnzip.ir.Dim;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.ir.UnsupportedOpException;
import io.nnzip.ir.ValueInfo;
import io.nnzip.ir.WeightWrites;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs a graph on the CPU: validates it once, orders it, resolves every node's kernel, then per call feeds
 * inputs through in order and drops each intermediate after its last reader so peak memory stays low.
 */
public final class Executor {
    /** Sees every node's outputs as they are produced (profiling, calibration, activation statistics). */
    @FunctionalInterface
    public interface Listener {
        void after(Node node, Tensor[] inputs, Tensor[] outputs, long nanos);
    }

    private final Graph graph;
    private final List<Node> order;
    private final OpDef[] defs;
    private final ExecContext ctx;
    private final Map<String, Integer> lastUse = new HashMap<>();
    private final HalfWidening half;
    private Listener listener;

    public Executor(Model m) { this(m.graph(), m.opset(), Parallel.common()); }

    public Executor(Model m, Parallel parallel) { this(m.graph(), m.opset(), parallel); }

    public Executor(Graph g, int opset, Parallel parallel) {
        GraphValidator.validate(g);
        // a caller may have written weights in place before handing the model over: cached weight forms re-check once
        WeightWrites.bump();
        this.graph = g;
        this.order = TopoSort.order(g.nodes());
        this.defs = OpRegistry.resolve(order);
        for (int i = 0; i < order.size(); i++) for (String in : TopoSort.allInputs(order.get(i))) lastUse.put(in, i);
        this.ctx = new ExecContext(parallel, opset);
        ctx.enablePool();
        this.half = new HalfWidening(g.initializers());
    }

    public ExecContext context() { return ctx; }

    public Graph graph() { return graph; }

    public void setListener(Listener l) { listener = l; }

    public Map<String, Tensor> run(Map<String, Tensor> feeds) { return run(feeds, List.of()); }

    /** Runs and returns the graph outputs plus the named intermediate values in {@code keep}. */
    public Map<String, Tensor> run(Map<String, Tensor> feeds, Collection<String> keep) {
        // one pass is one run of the team: its threads stay awake between the pass's loops, whatever the pause before
        Parallel par = ctx.parallel();
        par.beginRun();
        try {
            return runOpen(feeds, keep);
        } finally {
            par.endRun();
        }
    }

    private Map<String, Tensor> runOpen(Map<String, Tensor> feeds, Collection<String> keep) {
        Map<String, Tensor> env = new HashMap<>(graph.initializers());
        for (ValueInfo v : graph.inputs()) {
            Tensor t = feeds.get(v.name());
            if (t == null) {
                if (graph.isInitializer(v.name())) continue;
                throw new NnzipException("missing input '" + v.name() + "' (" + describe(v) + ")");
            }
            checkFeed(v, t);
            env.put(v.name(), t);
        }
        for (String k : feeds.keySet())
            if (graph.input(k) == null) throw new NnzipException("'" + k + "' is not an input of the model; inputs are " + graph.inputs().stream().map(ValueInfo::name).toList());
        Set<String> retain = new HashSet<>(keep);
        retain.addAll(graph.outputNames());
        Map<String, Tensor> kept = new LinkedHashMap<>();
        // a listener may hold on to the tensors it sees: then nothing is recycled
        BufferPool pool = listener == null ? ctx.pool() : null;
        ctx.pool().startRun();
        for (int i = 0; i < order.size(); i++) {
            Node n = order.get(i);
            Tensor[] in = new Tensor[n.inputs().size()];
            for (int j = 0; j < in.length; j++) {
                String name = n.input(j);
                if (!name.isEmpty()) in[j] = env.get(name);
            }
            long t0 = listener == null ? 0 : System.nanoTime();
            Tensor[] out = runNode(n, defs[i], in);
            if (listener != null) listener.after(n, in, out, System.nanoTime() - t0);
            for (int j = 0; j < n.outputs().size(); j++) {
                String name = n.output(j);
                if (name.isEmpty()) continue;
                if (j >= out.length || out[j] == null) throw new NnzipException(n.describe() + ": produced no value for output '" + name + "'");
                Tensor old = env.put(name, out[j]);
                if (pool != null) {
                    if (old != null && old.dtype() == DType.FLOAT) pool.release(old.floats());
                    if (out[j].dtype() == DType.FLOAT) pool.bind(out[j].floats());
                }
                if (retain.contains(name)) kept.put(name, out[j]);
            }
            for (String name : n.inputs()) {
                Integer last = lastUse.get(name);
                if (last != null && last == i && !retain.contains(name) && !graph.isInitializer(name)) {
                    Tensor dead = env.remove(name);
                    if (pool != null && dead != null && dead.dtype() == DType.FLOAT) pool.release(dead.floats());
                }
            }
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (String o : graph.outputNames()) {
            Tensor t = env.containsKey(o) ? env.get(o) : kept.get(o);
            if (t == null) throw new NnzipException("output '" + o + "' was not computed");
            result.put(o, t);
        }
        for (String k : keep) if (!result.containsKey(k) && (kept.containsKey(k) || env.containsKey(k))) result.put(k, kept.getOrDefault(k, env.get(k)));
        return result;
    }

    private Tensor[] runNode(Node n, OpDef def, Tensor[] in) {
        try {
            DType h = HalfWidening.halfType(n, in);
            return h == null ? def.kernel().run(n, in, ctx) : HalfWidening.narrow(n, def.kernel().run(n, half.widen(in), ctx), h);
        } catch (UnsupportedOpException e) {
            throw e;
        } catch (NnzipException e) {
            String m = e.getMessage();
            throw new NnzipException(m != null && m.startsWith(n.describe()) ? m : n.describe() + ": " + m, e);
        } catch (RuntimeException e) {
            throw new NnzipException(n.describe() + ": " + e, e);
        }
    }

    private static void checkFeed(ValueInfo v, Tensor t) {
        if (v.dtype() != null && v.dtype() != t.dtype())
            throw new NnzipException("input '" + v.name() + "' is " + t.dtype().lower() + ", the model expects " + v.dtype().lower());
        if (v.dims() == null) return;
        int[] s = t.shape();
        boolean ok = s.length == v.dims().size();
        for (int i = 0; ok && i < s.length; i++) {
            Dim d = v.dims().get(i);
            if (d.known() && d.value() != s[i]) ok = false;
        }
        if (!ok) throw new NnzipException("input '" + v.name() + "' has shape " + Shapes.str(s) + ", the model expects " + v.shapeString());
    }

    static String describe(ValueInfo v) {
        return (v.dtype() == null ? "?" : v.dtype().lower()) + " " + v.shapeString();
    }

    /** Op types (with domain when not the default) in the graph that the engine does not implement. */
    public static Set<String> unsupportedOps(Graph g) {
        Set<String> out = new TreeSet<>();
        List<Graph> pending = new ArrayList<>(List.of(g));
        while (!pending.isEmpty()) {
            Graph cur = pending.removeLast();
            for (Node n : cur.nodes()) {
                if (!OpRegistry.supports(n.domain(), n.opType())) out.add(n.domain().isEmpty() ? n.opType() : n.domain() + "." + n.opType());
                for (var a : n.attributes().values()) if (a.value() instanceof Graph sg) pending.add(sg);
            }
        }
        return out;
    }

    /** Element type of a graph input, FLOAT when undeclared. */
    public static DType inputType(ValueInfo v) { return v.dtype() == null ? DType.FLOAT : v.dtype(); }
}
