package io.nnzip.arch;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Backprop;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.train.Adam;
import io.nnzip.train.Param;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Layer-wise distillation of a new block by gradient descent: the block alone (its nodes and weights, cut out of
 * the graph) is trained with Adam to reproduce the original layer's outputs on calibration inputs, minimizing
 * the mean squared error. Blocks with a nonlinearity inside (ShuffleNet units, fire modules) have no closed-form
 * fit like the depthwise-separable pair's ALS. The weights are updated in place: they are the graph's initializers.
 */
final class BlockFit {
    private BlockFit() {}

    /** Relative output error ‖f(x) − y‖ / ‖y‖ before and after fitting. */
    record Outcome(double errorBefore, double errorAfter) {}

    /**
     * @param x block inputs (N, ...) as the already-redesigned network gives them; @param y the original layer's outputs (N, ...)
     */
    static Outcome fit(Graph g, int opset, List<Node> block, String in, String out, Tensor x, Tensor y, int steps, long seed) {
        Graph sub = new Graph("block");
        int[] xs = x.shape().clone();
        xs[0] = -1;
        long[] dims = new long[xs.length];
        for (int i = 0; i < xs.length; i++) dims[i] = xs[i];
        sub.inputs().add(ValueInfo.of(in, DType.FLOAT, dims));
        sub.outputs().add(new ValueInfo(out, DType.FLOAT, null));
        List<Param> params = new ArrayList<>();
        for (Node n : block) {
            sub.nodes().add(n);
            for (String v : n.inputs()) {
                Tensor t = g.initializer(v);
                if (t == null || sub.isInitializer(v)) continue;
                sub.initializers().put(v, t);
                if (t.dtype() == DType.FLOAT && t.rank() >= 1) params.add(new Param(v, t.floats(), false));
            }
        }
        Tape tape = new Tape(sub, opset, Parallel.common(), seed);
        Backprop bp = new Backprop(tape, params.stream().map(Param::name).toList());
        Adam adam = new Adam(0.9f, 0.999f, 1e-8f, 0f, false);
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = x.dim(0), batch = Math.min(32, n), xRow = x.size() / n, yRow = y.size() / n;
        double before = error(tape, in, out, x, y);
        float lr0 = 3e-3f;
        for (int step = 0; step < steps; step++) {
            float[] xb = new float[batch * xRow], yb = new float[batch * yRow];
            for (int i = 0; i < batch; i++) {
                int r = rnd.nextInt(n);
                System.arraycopy(x.floats(), r * xRow, xb, i * xRow, xRow);
                System.arraycopy(y.floats(), r * yRow, yb, i * yRow, yRow);
            }
            int[] bs = x.shape().clone();
            bs[0] = batch;
            Tensor pred = tape.forward(Map.of(in, Tensor.of(xb, bs)), true).get(out);
            float[] p = pred.floats(), d = new float[p.length];
            for (int i = 0; i < p.length; i++) d[i] = 2f * (p[i] - yb[i]) / p.length;
            Map<String, Tensor> grads = bp.run(Map.of(out, Tensor.of(d, pred.shape())));
            for (Param q : params) {
                Tensor gt = grads.get(q.name());
                if (gt == null) java.util.Arrays.fill(q.grad(), 0f);
                else System.arraycopy(gt.floats(), 0, q.grad(), 0, q.size());
            }
            float lr = (float) (lr0 * 0.5 * (1 + Math.cos(Math.PI * step / steps)));
            adam.step(params, lr);
        }
        return new Outcome(before, error(tape, in, out, x, y));
    }

    private static double error(Tape tape, String in, String out, Tensor x, Tensor y) {
        int n = x.dim(0);
        double e = 0, s = 0;
        for (int lo = 0; lo < n; lo += 64) {
            int hi = Math.min(n, lo + 64);
            float[] p = tape.forward(Map.of(in, Calibration.slice(x, lo, hi)), false).get(out).floats();
            float[] t = Calibration.slice(y, lo, hi).floats();
            for (int i = 0; i < p.length; i++) {
                e += (p[i] - (double) t[i]) * (p[i] - (double) t[i]);
                s += (double) t[i] * t[i];
            }
        }
        return Math.sqrt(e / Math.max(s, 1e-30));
    }
}
