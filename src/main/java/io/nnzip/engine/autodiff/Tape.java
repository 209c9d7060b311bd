package io.nnzip.engine.autodiff;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpDef;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.TransformerFusion;
import io.nnzip.engine.ops.AttentionOps;
import io.nnzip.engine.autodiff.kernels.BatchNormTraining;
import io.nnzip.engine.autodiff.kernels.ArrayPool;
import io.nnzip.engine.autodiff.kernels.ConvAttrs;
import io.nnzip.engine.autodiff.kernels.DropoutTraining;
import io.nnzip.engine.autodiff.kernels.MaxPoolTraining;
import io.nnzip.engine.autodiff.kernels.ReluForward;
import io.nnzip.engine.autodiff.kernels.ThinConvForward;
import io.nnzip.engine.kernels.Conv2d;
import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphValidator;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.ir.UnsupportedOpException;
import io.nnzip.ir.ValueInfo;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A forward pass that keeps every value for the backward pass. Nodes run on the engine's registered kernels,
 * except two whose training behaviour is tied to their gradient: in training mode BatchNormalization normalizes
 * with batch statistics (and updates the running statistics, in place in their initializers), Dropout draws a
 * mask from the seeded RNG, and 2-D MaxPool records its argmax; each saves what its backward rule needs. Conv
 * and Relu write into the step's recycled arrays (Conv on the engine's kernel, or {@link ThinConvForward} for a
 * first layer with a tiny unfolded depth).
 * <p>The graph's initializers are the live parameters: optimizers update their arrays in place between steps.
 * Values read from the tape are valid until the next forward pass, which recycles the step's arrays.
 */
public final class Tape {
    private final Graph graph;
    private final int opset;
    private final List<Node> order;
    private final OpDef[] defs;
    /** Chains that may run fused in training, by their BatchNormalization. */
    private final Map<Node, FusedChain> chains;
    /** The transformer-fused node order ({@link #fuseTransformers}), its kernels and chains; null when not fused. */
    private List<Node> fusedOrder;
    private OpDef[] fusedDefs;
    private Map<Node, FusedChain> fusedChains;
    private final ExecContext ctx;
    private final Map<String, Tensor> env = new HashMap<>();
    private final Map<Node, Object> saved = new IdentityHashMap<>();
    private final ArrayPool pool = new ArrayPool();
    /** The chains fused in the current step, by tail node; and their nodes after the BatchNormalization, which the loop skips. */
    private final Map<Node, FusedChain> fusedByTail = new IdentityHashMap<>();
    private final Set<Node> fusedInner = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean fusion = true;
    private boolean training;
    private Timer timer;

    /** Hears when each node's forward or backward starts and ends, for profiling. */
    public interface Timer {
        void begin();

        /** The work since the matching {@link #begin} was {@code phase}, e.g. "Conv_5 bwd". */
        void end(String phase);
    }

    public Tape(Graph g, int opset, Parallel par, long seed) {
        GraphValidator.validate(g);
        this.graph = g;
        this.opset = opset;
        this.order = TopoSort.order(g.nodes());
        this.defs = OpRegistry.resolve(order);
        this.ctx = new ExecContext(par, opset, false, seed);
        // kernels that overwrite their whole output (MatMul, LayerNorm, Add, …) write into this step's arrays
        ctx.setStepArrays(n -> pool.floats(n, false));
        this.chains = FusedChain.find(g, order);
    }

    /**
     * Turns the fusion of BatchNormalization → Relu (→ MaxPool) chains on or off (on by default). Off, every
     * value of a training step stays readable through {@link #value}; on, a fused chain's inner values are absent.
     */
    public void setFusion(boolean on) { fusion = on; }

    /**
     * Runs training steps on the transformer patterns of {@link TransformerFusion#applyForTraining} (fused attention
     * with its saved softmax rows, written-out LayerNorm as LayerNormalization, Erf-GELU as Gelu, MatMul + bias
     * [+ residual] as one MatMul) while {@link #setFusion} is on. Values in {@code keep} (and the graph outputs) stay
     * readable; the fused-away intermediates do not exist. The graph's initializers stay the live parameters.
     * Returns the number of patterns fused.
     */
    public int fuseTransformers(java.util.Collection<String> keep) {
        Graph copy = graph.copy();
        int n = TransformerFusion.applyForTraining(copy, opset, new java.util.HashSet<>(keep));
        if (n == 0) return 0;
        fusedOrder = TopoSort.order(copy.nodes());
        fusedDefs = OpRegistry.resolve(fusedOrder);
        fusedChains = FusedChain.find(copy, fusedOrder);
        return n;
    }

    public Graph graph() { return graph; }

    /** The nodes a training step runs, in order (the fused ones while fusion is on and transformers were fused). */
    public List<Node> order() { return fusion && fusedOrder != null ? fusedOrder : order; }

    public ExecContext context() { return ctx; }

    public boolean training() { return training; }

    /** Runs the graph; every value stays readable through {@link #value} until the next call. */
    public Map<String, Tensor> forward(Map<String, Tensor> feeds, boolean train) {
        training = train;
        ctx.setTraining(train);
        env.clear();
        saved.clear();
        fusedByTail.clear();
        fusedInner.clear();
        pool.recycleAll();
        env.putAll(graph.initializers());
        for (ValueInfo v : graph.runtimeInputs()) {
            Tensor t = feeds.get(v.name());
            if (t == null) throw new NnzipException("missing input '" + v.name() + "'");
            env.put(v.name(), t);
        }
        boolean fused = fusion && fusedOrder != null;
        List<Node> order = fused ? fusedOrder : this.order;
        OpDef[] defs = fused ? fusedDefs : this.defs;
        Map<Node, FusedChain> chains = fused ? fusedChains : this.chains;
        for (int i = 0; i < order.size(); i++) {
            Node n = order.get(i);
            if (fusedInner.contains(n)) continue;
            Tensor[] in = new Tensor[n.inputs().size()];
            for (int j = 0; j < in.length; j++) if (n.hasInput(j)) in[j] = env.get(n.input(j));
            FusedChain chain = training && fusion ? chains.get(n) : null;
            Boolean pooled = chain == null ? null : chain.fits(in);
            if (pooled != null) {
                runFused(pooled ? chain : new FusedChain(chain.bn(), chain.relu(), null), in);
                continue;
            }
            if (timer != null) timer.begin();
            Tensor[] out = run(n, defs[i], in);
            if (timer != null) timer.end(label(n) + " fwd");
            for (int j = 0; j < n.outputs().size(); j++) {
                String name = n.output(j);
                if (name.isEmpty()) continue;
                if (j >= out.length || out[j] == null) throw new NnzipException(n.describe() + ": produced no value for output '" + name + "'");
                env.put(name, out[j]);
            }
        }
        Map<String, Tensor> outs = new java.util.LinkedHashMap<>();
        for (String o : graph.outputNames()) outs.put(o, env.get(o));
        return outs;
    }

    public Tensor value(String name) { return env.get(name); }

    /** Arrays of the current step; recycled when the next forward pass starts. */
    public ArrayPool pool() { return pool; }

    /** Times every node's forward and backward ("Conv_5 fwd", "Conv_5 bwd"); null turns it off. */
    public void setTimer(Timer t) { timer = t; }

    Timer timer() { return timer; }

    /** The node's name (ONNX names say the op, e.g. "Conv_5"), or its op type when unnamed. */
    static String label(Node n) { return n.name() == null || n.name().isEmpty() ? n.opType() : n.name(); }

    /** What the training-mode forward of {@code n} saved for its backward (null for most ops). */
    Object saved(Node n) { return saved.get(n); }

    /** The chain whose tail is {@code n} if this step ran it fused, else null. */
    FusedChain fusedAt(Node n) { return fusedByTail.get(n); }

    /** Identifies which chains this step fused (Backprop re-analyzes when it changes). */
    Set<Node> fusedTails() { return fusedByTail.keySet(); }

    private void runFused(FusedChain chain, Tensor[] in) {
        Node bn = chain.bn();
        if (timer != null) timer.begin();
        try {
            boolean live = graph.isInitializer(bn.input(3)) && graph.isInitializer(bn.input(4));
            Tensor y = chain.forward(in, chain.pool() != null, live ? in[3].floats() : null, live ? in[4].floats() : null, ctx.parallel(), pool, saved);
            env.put(chain.tail().output(0), y);
        } catch (RuntimeException e) {
            throw new NnzipException(bn.describe() + " (fused with " + chain.label() + "): " + e, e);
        }
        if (timer != null) timer.end(chain.label() + " fwd");
        fusedByTail.put(chain.tail(), chain);
        fusedInner.add(chain.relu());
        if (chain.pool() != null) fusedInner.add(chain.pool());
    }

    private Tensor[] run(Node n, OpDef def, Tensor[] in) {
        try {
            if (training && n.opType().equals("BatchNormalization")) return batchNorm(n, in);
            if (training && n.opType().equals("Dropout")) return dropout(n, in);
            if (training && n.opType().equals(AttentionOps.OP) && n.domain().isEmpty()) return attention(n, in);
            if (training && n.opType().equals("Conv") && plainConv(n, in)) return conv(n, in);
            if (training && n.opType().equals("Relu") && in[0].dtype() == DType.FLOAT) {
                float[] y = pool.floats(in[0].size(), false);
                ReluForward.run(in[0].floats(), y, ctx.parallel());
                return new Tensor[] {new Tensor(DType.FLOAT, in[0].shape(), y)};
            }
            if (training && n.opType().equals("MaxPool") && in[0].rank() == 4 && n.outputs().size() == 1 && n.attrInt("ceil_mode", 0) == 0
                    && n.attrInt("storage_order", 0) == 0) return maxPool(n, in);
            return def.kernel().run(n, in, ctx);
        } catch (UnsupportedOpException e) {
            throw e;
        } catch (NnzipException e) {
            String m = e.getMessage();
            throw new NnzipException(m != null && m.startsWith(n.describe()) ? m : n.describe() + ": " + m, e);
        } catch (RuntimeException e) {
            throw new NnzipException(n.describe() + ": " + e, e);
        }
    }

    // x: (N,C,...), scale, bias, mean, var: (C) -> y: (N,C,...) [, running mean, running var]
    private Tensor[] batchNorm(Node n, Tensor[] in) {
        int[] sh = in[0].shape();
        int c = sh[1], l = Shapes.product(sh, 2, sh.length);
        float[] y = pool.floats(in[0].size(), false);
        boolean live = graph.isInitializer(n.input(3)) && graph.isInitializer(n.input(4));
        float[] rm = live ? in[3].floats() : null, rv = live ? in[4].floats() : null;
        BatchNormTraining.Saved st = BatchNormTraining.forward(in[0].floats(), in[1].floats(), in[2].floats(), rm, rv,
                n.attrFloat("epsilon", 1e-5f), n.attrFloat("momentum", 0.9f), sh[0], c, l, y, ctx.parallel());
        saved.put(n, st);
        Tensor[] out = new Tensor[n.outputs().size()];
        out[0] = new Tensor(DType.FLOAT, sh, y);
        for (int j = 1; j < out.length; j++) out[j] = j <= 2 ? in[j + 2] : Tensor.zeros(DType.FLOAT, c);
        return out;
    }

    /** A float 2-D conv without engine fusions: its output can live in a recycled buffer. */
    private static boolean plainConv(Node n, Tensor[] in) {
        if (in[0].rank() != 4 || in[0].dtype() != DType.FLOAT || in[1].dtype() != DType.FLOAT || in[1].rank() != 4) return false;
        if (in[1].dim(1) * n.attrInt("group", 1) != in[0].dim(1)) return false; // the engine kernel names the mismatch
        for (String a : n.attributes().keySet()) if (a.startsWith("nnzip_")) return false;
        return in.length < 3 || in[2] == null || in[2].dtype() == DType.FLOAT;
    }

    // x: (N,C,H,W), w: (K,C/g,R,S), b: (K) -> y: (N,K,P,Q)
    private Tensor[] conv(Node n, Tensor[] in) {
        ConvGeometry g = ConvAttrs.conv(n, in[0].shape(), in[1].shape());
        int[] shape = {g.n(), g.k(), g.p(), g.q()};
        float[] y = pool.floats(Shapes.numel(shape), false);
        float[] bias = in.length > 2 && in[2] != null ? in[2].floats() : null;
        if (ThinConvForward.applies(g)) ThinConvForward.run(g, in[0].floats(), in[1].floats(), bias, y, ctx.parallel(), pool);
        else Conv2d.forward(g, in[0].floats(), in[1].floats(), bias, y, false, ctx.parallel());
        return new Tensor[] {new Tensor(DType.FLOAT, shape, y)};
    }

    // x: (N,C,H,W) -> y: (N,C,P,Q); saves the argmax of every window
    private Tensor[] maxPool(Node n, Tensor[] in) {
        ConvGeometry g = ConvAttrs.pool(n, in[0].shape());
        int[] shape = {g.n(), g.c(), g.p(), g.q()};
        float[] y = pool.floats(Shapes.numel(shape), false);
        int[] argmax = pool.ints(y.length);
        MaxPoolTraining.forward(g, in[0].floats(), y, argmax, ctx.parallel());
        saved.put(n, argmax);
        return new Tensor[] {new Tensor(DType.FLOAT, shape, y)};
    }

    // qkv: (B, N, 3·H·D), shape [, mask] -> y: (B, N, H, D); saves the softmax rows (B, H, N, N)
    private Tensor[] attention(Node n, Tensor[] in) {
        int[] t = AttentionOps.dims(n, in);
        float[] y = pool.floats(t[0] * t[1] * t[2] * t[3], false), p = pool.floats(t[0] * t[2] * t[1] * t[1], false);
        AttentionOps.forward(n, in, y, p, ctx.parallel());
        saved.put(n, p);
        return new Tensor[] {Tensor.of(y, t)};
    }

    // x: any -> y: same shape [, mask: bool same shape]
    private Tensor[] dropout(Node n, Tensor[] in) {
        float ratio = ctx.opset() >= 12 ? (in.length > 1 && in[1] != null ? (float) in[1].getDouble(0) : 0.5f) : n.attrFloat("ratio", 0.5f);
        float[] x = in[0].floats(), mask = DropoutTraining.mask(x.length, ratio, ctx.random());
        float[] y = pool.floats(x.length, false);
        for (int i = 0; i < y.length; i++) y[i] = x[i] * mask[i];
        saved.put(n, mask);
        Tensor[] out = new Tensor[n.outputs().size()];
        out[0] = new Tensor(DType.FLOAT, in[0].shape(), y);
        if (out.length > 1) {
            byte[] keep = new byte[x.length];
            for (int i = 0; i < keep.length; i++) keep[i] = (byte) (mask[i] != 0f ? 1 : 0);
            out[1] = new Tensor(DType.BOOL, in[0].shape(), keep);
        }
        return out;
    }
}
