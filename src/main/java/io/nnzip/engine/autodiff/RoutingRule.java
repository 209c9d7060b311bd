package io.nnzip.engine.autodiff;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;

/**
 * Backward of every op that only moves elements of input 0 (Slice, Gather, Split, Expand, Tile, ...): the op's own
 * forward kernel runs once on the positions 0..n-1 of input 0 (an int32 "iota" in place of the data), which yields,
 * for every output element, the input element it was copied from; the gradient is the scatter-add of dy through
 * that map. A value copied to several outputs (Expand, a repeated Gather index) sums their gradients.
 * Index inputs (Gather's indices, Slice's starts, Expand's shape) get no gradient.
 */
final class RoutingRule {
    private RoutingRule() {}

    static Tensor[] backward(GradStep s) {
        Tensor x = s.in(0);
        int n = x.size();
        int[] iota = new int[n];
        for (int i = 0; i < n; i++) iota[i] = i;
        Tensor[] in = s.in().clone();
        in[0] = new Tensor(DType.INT32, x.shape(), iota);
        Tensor[] maps = OpRegistry.get(s.node()).kernel().run(s.node(), in, new ExecContext(s.par(), s.opset()));
        float[] dx = new float[n];
        for (int j = 0; j < s.dOut().length && j < maps.length; j++) {
            if (s.dOut()[j] == null) continue;
            int[] map = maps[j].ints();
            float[] g = s.dOut()[j].floats();
            for (int i = 0; i < map.length; i++) dx[map[i]] += g[i];
        }
        return s.only(dx);
    }
}
