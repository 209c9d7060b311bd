package io.nnzip.engine.autodiff;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.kernels.ArrayPool;
import io.nnzip.engine.autodiff.kernels.BnReluPool;
import io.nnzip.engine.autodiff.kernels.ConvAttrs;
import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A training-mode BatchNormalization → Relu (→ 2×2 stride-2 MaxPool) chain that the {@link Tape} runs as one
 * {@link BnReluPool} step: the values between the nodes are never stored, so the chain's forward and backward
 * each touch memory a few times instead of once per node and pass. The inner values have no other reader (and are
 * no graph output), so nothing observes their absence; {@link Backprop} differentiates the chain as one step
 * from its tail's output gradient to the BatchNormalization's inputs.
 * <pre>x: (N,C,H,W), scale, bias, mean, var: (C) -> tail: (N,C,H,W) or pooled (N,C,⌊H/2⌋,⌊W/2⌋)</pre>
 */
record FusedChain(Node bn, Node relu, Node pool) {
    /** The node whose output the chain produces. */
    Node tail() { return pool != null ? pool : relu; }

    String label() { return Tape.label(bn) + "+" + Tape.label(relu) + (pool == null ? "" : "+" + Tape.label(pool)); }

    /** Chains keyed by their BatchNormalization, judged on the graph alone (see {@link #fits} for the values). */
    static Map<Node, FusedChain> find(Graph g, List<Node> order) {
        Map<String, List<Node>> consumers = g.consumers();
        Set<String> outputs = new HashSet<>(g.outputNames());
        Map<Node, FusedChain> chains = new IdentityHashMap<>();
        for (Node bn : order) {
            if (!bn.opType().equals("BatchNormalization") || bn.outputs().size() != 1 || bn.inputs().size() != 5) continue;
            Node relu = soleReader(bn.output(0), consumers, outputs);
            if (relu == null || !relu.opType().equals("Relu") || relu.outputs().size() != 1) continue;
            Node pool = soleReader(relu.output(0), consumers, outputs);
            if (pool != null && !(pool.opType().equals("MaxPool") && pool.outputs().size() == 1 && pool.attrInt("ceil_mode", 0) == 0
                    && pool.attrInt("storage_order", 0) == 0)) pool = null;
            chains.put(bn, new FusedChain(bn, relu, pool));
        }
        return chains;
    }

    private static Node soleReader(String value, Map<String, List<Node>> consumers, Set<String> outputs) {
        List<Node> readers = consumers.get(value);
        if (outputs.contains(value) || readers == null || readers.size() != 1) return null;
        Node r = readers.get(0);
        return r.inputs().stream().filter(value::equals).count() == 1 ? r : null;
    }

    /**
     * Whether this step's BatchNormalization inputs suit the kernel (float, 4-D, 2×2 stride-2 window when pooled).
     * Returns the pooling flag to use: a chain whose pool does not fit runs as BatchNormalization → Relu only.
     */
    Boolean fits(Tensor[] in) {
        for (int j = 0; j < 5; j++) if (in[j] == null || in[j].dtype() != DType.FLOAT) return null;
        if (in[0].rank() != 4) return null;
        if (pool == null) return false;
        ConvGeometry g = ConvAttrs.pool(pool, in[0].shape());
        return g.r() == 2 && g.s() == 2 && g.strideH() == 2 && g.strideW() == 2 && g.padTop() == 0 && g.padLeft() == 0
                && g.padBottom() == 0 && g.padRight() == 0 && g.dilH() == 1 && g.dilW() == 1 && g.p() == g.h() / 2 && g.q() == g.w() / 2;
    }

    /** Runs the chain; returns the tail's value and stores what the backward needs in {@code saved}. */
    Tensor forward(Tensor[] in, boolean pooled, float[] runMean, float[] runVar, Parallel par, ArrayPool arrays, Map<Node, Object> saved) {
        int[] sh = in[0].shape();
        int n = sh[0], c = sh[1], h = sh[2], w = sh[3];
        int[] shape = pooled ? new int[] {n, c, h / 2, w / 2} : sh;
        int size = n * c * shape[2] * shape[3];
        float[] y = arrays.floats(size, false);
        int[] argmax = pooled ? arrays.ints(size) : null;
        BnReluPool.Saved st = BnReluPool.forward(in[0].floats(), in[1].floats(), in[2].floats(), runMean, runVar,
                bn.attrFloat("epsilon", 1e-5f), bn.attrFloat("momentum", 0.9f), n, c, h, w, pooled, y, argmax, par);
        saved.put(tail(), st);
        return new Tensor(DType.FLOAT, shape, y);
    }

    /** Gradients for the BatchNormalization's inputs (scale, bias, x) from the tail's output gradient. */
    static Tensor[] backward(GradStep s, Tensor y) {
        int[] sh = s.in(0).shape();
        int n = sh[0], c = sh[1];
        float[] dx = s.need(0) ? s.gradBuffer(0, false) : null, ds = s.need(1) ? new float[c] : null, db = s.need(2) ? new float[c] : null;
        BnReluPool.backward(s.x(0), s.x(1), (BnReluPool.Saved) s.saved(), y.floats(), s.dy(), n, c, sh[2], sh[3], dx, ds, db, s.par());
        return new Tensor[] {dx == null ? null : s.like(0, dx), ds == null ? null : s.like(1, ds), db == null ? null : s.like(2, db), null, null};
    }
}
