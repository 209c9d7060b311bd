package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (= NLL of LogSoftmax over dim 1), with optional class
 * weights, ignore_index, and reduction none / sum / mean (mean divides by the summed weights of counted targets).
 */
final class LossOps {
    private LossOps() {}

    static void register() {
        OpRegistry.register("NegativeLogLikelihoodLoss", (n, in, c) -> new Tensor[] {nll(n, in[0], in[1], opt(in, 2))}, LossOps::rule);
        OpRegistry.register("SoftmaxCrossEntropyLoss", LossOps::softmaxCrossEntropy, LossOps::rule);
    }

    private static Tensor opt(Tensor[] in, int i) { return i < in.length ? in[i] : null; }

    private static ValueType[] rule(Node n, ValueType[] in, int opset) {
        ValueType[] out = new ValueType[n.outputs().size()];
        int[] s = in[0].shape();
        boolean none = n.attrString("reduction", "mean").equals("none");
        int[] ls = none ? (s == null ? null : dropDim1(s)) : new int[0];
        out[0] = ValueType.of(in[0].dtype(), ls);
        if (out.length > 1) out[1] = ValueType.of(in[0].dtype(), s);
        return out;
    }

    private static int[] dropDim1(int[] s) {
        int[] o = new int[s.length - 1];
        o[0] = s[0];
        System.arraycopy(s, 2, o, 1, s.length - 2);
        return o;
    }

    // logp: (N,C,d..), target: int (N,d..), weight: (C) -> loss: () or (N,d..)
    private static Tensor nll(Node n, Tensor logp, Tensor target, Tensor weight) {
        if (!logp.dtype().isFloating()) throw new UnsupportedOpException(n.opType() + " on " + logp.dtype().lower());
        int[] s = logp.shape();
        if (s.length < 2) throw new NnzipException(n.opType() + ": input must be (N,C,..), got " + Shapes.str(s));
        int N = s[0], C = s[1], inner = Shapes.product(s, 2, s.length);
        double[] lp = Values.doubles(logp), w = weight == null ? null : Values.doubles(weight);
        long[] t = Values.longs(target);
        if (t.length != N * inner) throw new NnzipException(n.opType() + ": target shape " + Shapes.str(target.shape()) + " does not match input " + Shapes.str(s));
        boolean hasIgnore = n.has("ignore_index");
        long ignore = n.attrInt("ignore_index", 0);
        double[] loss = new double[N * inner];
        double wsum = 0, sum = 0;
        for (int b = 0; b < N; b++)
            for (int i = 0; i < inner; i++) {
                int at = b * inner + i;
                long c = t[at];
                if (hasIgnore && c == ignore) continue;
                if (c < 0 || c >= C) throw new NnzipException(n.opType() + ": target " + c + " outside [0, " + C + ")");
                double wc = w == null ? 1 : w[(int) c];
                loss[at] = -lp[(b * C + (int) c) * inner + i] * wc;
                wsum += wc;
                sum += loss[at];
            }
        String red = n.attrString("reduction", "mean");
        return switch (red) {
            case "none" -> Values.fromDoubles(logp.dtype(), dropDim1(s), loss);
            case "sum" -> Values.fromDoubles(logp.dtype(), new int[0], new double[] {sum});
            case "mean" -> Values.fromDoubles(logp.dtype(), new int[0], new double[] {wsum == 0 ? 0 : sum / wsum});
            default -> throw new UnsupportedOpException(n.opType() + " reduction=" + red);
        };
    }

    // scores: (N,C,d..), labels: (N,d..) -> loss [, log_prob: (N,C,d..)]
    private static Tensor[] softmaxCrossEntropy(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException(n.opType() + " on " + x.dtype().lower());
        int[] s = x.shape();
        int N = s[0], C = s.length > 1 ? s[1] : 1, inner = Shapes.product(s, 2, s.length);
        double[] v = Values.doubles(x), lp = new double[v.length];
        for (int b = 0; b < N; b++)
            for (int i = 0; i < inner; i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int c = 0; c < C; c++) max = Math.max(max, v[(b * C + c) * inner + i]);
                for (int c = 0; c < C; c++) sum += Math.exp(v[(b * C + c) * inner + i] - max);
                double shift = max + Math.log(sum);
                for (int c = 0; c < C; c++) lp[(b * C + c) * inner + i] = v[(b * C + c) * inner + i] - shift;
            }
        Tensor logp = Values.fromDoubles(x.dtype(), s, lp);
        Tensor loss = nll(n, Values.fromDoubles(io.nnzip.ir.DType.DOUBLE, s, lp), in[1], opt(in, 2));
        loss = Values.fromDoubles(x.dtype(), loss.shape(), Values.doubles(loss));
        return n.outputs().size() > 1 ? new Tensor[] {loss, logp} : new Tensor[] {loss};
    }
}
