package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.kernels.ConvAttrs;
import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.engine.kernels.Im2Col;
import io.nnzip.engine.kernels.Sgemm;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cross-layer (sequential) compensation of an update. {@link UpdateCompensation} compensates each layer for its own
 * rounding on the new model's inputs, as if every earlier layer arrived exact; the receiver's earlier layers carry
 * their coded error too, and a later layer (a wide classifier) has the freedom to absorb part of it. Here the layers
 * are coded in forward order, and layer l is fitted to the new model's output of that layer, y = W·x, on the inputs
 * x̂ the receiver's patched earlier layers produce on the calibration images:
 * <pre>
 *   min ‖Ŵ x̂ − W x‖² + δ‖Ŵ − W‖²   →   W* = W + W Gᵀ (Ĥ + δI)^−1,   Ĥ = Σ x̂ x̂ᵀ,  G = Σ x̂ (x − x̂)ᵀ
 * </pre>
 * (δ the damping of {@link ErrorCompensation}: the fit is pulled toward W where the calibration inputs say little),
 * and W* is then compensated as before, on Ĥ, at the layer's QP. With x̂ = x (nothing coded before) this is exactly
 * {@link UpdateCompensation}. A layer's result depends on the QPs of the layers before it, so results are cached by
 * that prefix of the allocation. Encoder-side only: the receiver decodes the same syntax.
 */
public final class SequentialCompensation {
    private final ErrorCompensation independent;
    private final Model received, next;
    private final List<Tensor> batches;
    /** Compensated layers that differ between received and next, in forward order. */
    private final List<String> order = new ArrayList<>();
    /** Per allocation prefix "l0=q0;l1=q1;…": {compensated values, what the receiver reconstructs}. */
    private final Map<String, float[][]> cache = new HashMap<>();
    /** Calibration passes run (two forward passes per batch each): for reports and tests. */
    private int passes;

    /**
     * @param independent the per-layer compensation (its factors are the new model's; used while nothing before a layer moved)
     * @param batches     calibration input batches, normalized as the model expects
     */
    public SequentialCompensation(ErrorCompensation independent, Model received, Model next, List<Tensor> batches) {
        this.independent = independent;
        this.received = received;
        this.next = next;
        this.batches = batches;
        for (Node n : io.nnzip.ir.TopoSort.order(next.graph().nodes())) {
            if (n.inputs().size() < 2) continue;
            String name = n.inputs().get(1);
            if (independent.factor(name) == null || order.contains(name)) continue;
            Tensor t = next.graph().initializer(name), b = received.graph().initializer(name);
            if (b == null || b.dtype() != DType.FLOAT || !Arrays.equals(b.shape(), t.shape()) || t.equals(b)) continue;
            order.add(name);
        }
    }

    /** The compensated layers, in the order they are coded. */
    public List<String> layers() { return order; }

    /** Calibration passes run so far (one per layer fitted on moved inputs). */
    public synchronized int passes() { return passes; }

    /** {@code next} with each compensated layer replaced by its sequentially compensated values at the options' QPs. */
    public synchronized Model target(CodecOptions o) {
        Model out = next.copy(), patched = next.copy();
        StringBuilder key = new StringBuilder();
        boolean moved = false;
        for (String name : order) {
            Tensor t = next.graph().initializer(name);
            float[] base = received.graph().initializer(name).floats();
            int qp = o.qpFor(name);
            key.append(name).append('=').append(qp).append(';');
            float[][] hit = cache.get(key.toString());
            if (hit == null) {
                float[] w = t.floats();
                double[][] u = independent.factor(name);
                if (moved) {
                    double[][] hg = statistics(patched, name, u.length);
                    u = ErrorCompensation.inverseCholeskyUpper(hg[0], u.length);
                    w = fitted(w, hg[1], u);
                }
                float[] adj = UpdateCompensation.layer(w, base, t.shape(), u, qp);
                hit = new float[][] {adj, UpdateCompensation.received(adj, base, t.shape(), qp)};
                cache.put(key.toString(), hit);
            }
            out.graph().initializers().put(name, new Tensor(DType.FLOAT, t.shape(), hit[0]));
            patched.graph().initializers().put(name, new Tensor(DType.FLOAT, t.shape(), hit[1]));
            moved |= !Arrays.equals(hit[1], t.floats());
        }
        return out;
    }

    /** W* = W + W Gᵀ Uᵀ U, with (Ĥ + δI)^−1 = Uᵀ U: the least-squares weights for the receiver's inputs. */
    static float[] fitted(float[] w, double[] g, double[][] u) {
        int d = u.length, rows = w.length / d;
        float[] out = new float[w.length];
        double[] a = new double[d], b = new double[d];
        for (int r = 0; r < rows; r++) {
            int o = r * d;
            for (int i = 0; i < d; i++) { // a = G w_r
                double s = 0;
                for (int j = 0; j < d; j++) s += g[i * d + j] * w[o + j];
                a[i] = s;
            }
            for (int k = 0; k < d; k++) { // b = U a (U upper)
                double s = 0;
                double[] uk = u[k];
                for (int i = k; i < d; i++) s += uk[i] * a[i];
                b[k] = s;
            }
            for (int j = 0; j < d; j++) { // w_r + Uᵀ b
                double s = 0;
                for (int k = 0; k <= j; k++) s += u[k][j] * b[k];
                out[o + j] = (float) (w[o + j] + s);
            }
        }
        return out;
    }

    /** {Ĥ, G} (d×d row-major) of layer {@code weight}'s inputs: x̂ from {@code patched}, x from the new model, same images. */
    private double[][] statistics(Model patched, String weight, int d) {
        passes++;
        double[] h = new double[d * d], g = new double[d * d];
        Parallel par = Parallel.common();
        Executor exNext = new Executor(next, par), exPatched = new Executor(patched, par);
        String input = next.graph().runtimeInputs().getFirst().name();
        float[][] xn = new float[1][];
        exNext.setListener((node, in, outs, nanos) -> {
            if (in.length >= 2 && weight.equals(node.inputs().get(1))) xn[0] = in[0].floats().clone();
        });
        exPatched.setListener((node, in, outs, nanos) -> {
            if (in.length < 2 || !weight.equals(node.inputs().get(1))) return;
            Tensor x = in[0];
            float[] xs = x.floats(), hb = new float[d * d], gb = new float[d * d];
            if (node.opType().equals("Conv")) {
                ConvGeometry geo = ConvAttrs.conv(node, x.shape(), in[1].shape());
                int pq = geo.p() * geo.q(), chw = geo.c() * geo.h() * geo.w();
                float[] ch = new float[d * pq], cn = new float[d * pq];
                for (int n = 0; n < geo.n(); n++) {
                    Im2Col.im2col(geo, xs, n * chw, 0, ch);
                    Im2Col.im2col(geo, xn[0], n * chw, 0, cn);
                    for (int i = 0; i < cn.length; i++) cn[i] -= ch[i];
                    Sgemm.gemm(false, true, d, d, pq, 1f, ch, 0, pq, ch, 0, pq, n == 0 ? 0f : 1f, hb, 0, d, par);
                    Sgemm.gemm(false, true, d, d, pq, 1f, ch, 0, pq, cn, 0, pq, n == 0 ? 0f : 1f, gb, 0, d, par);
                }
            } else { // Gemm, transB = 1 (the layers ErrorCompensation compensates)
                int n = x.dim(0);
                float[] diff = new float[xs.length];
                for (int i = 0; i < diff.length; i++) diff[i] = xn[0][i] - xs[i];
                Sgemm.gemm(true, false, d, d, n, 1f, xs, 0, d, xs, 0, d, 0f, hb, 0, d, par);
                Sgemm.gemm(true, false, d, d, n, 1f, xs, 0, d, diff, 0, d, 0f, gb, 0, d, par);
            }
            for (int i = 0; i < h.length; i++) {
                h[i] += hb[i];
                g[i] += gb[i];
            }
        });
        for (Tensor b : batches) {
            exNext.run(Map.of(input, b));
            exPatched.run(Map.of(input, b));
        }
        return new double[][] {h, g};
    }

    /** Calibration batches of {@code images} normalized by {@code norm}, copied (the loader reuses its buffers). */
    public static List<Tensor> batches(io.nnzip.data.Dataset images, io.nnzip.data.Normalization norm, int batch) {
        List<Tensor> out = new ArrayList<>();
        try (io.nnzip.data.BatchLoader loader = new io.nnzip.data.BatchLoader(images, batch, false, norm, io.nnzip.data.Augment.NONE, 0, 0)) {
            while (loader.hasNext()) {
                Tensor t = loader.next().images();
                out.add(new Tensor(DType.FLOAT, t.shape(), t.floats().clone()));
            }
        }
        return out;
    }
}
