package io.nnzip.codec.rd;

import io.nnzip.codec.CodecOptions;
import io.nnzip.data.Augment;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
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
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Quantization with error compensation (the optimal-brain-quantizer update that GPTQ applies column by column), no
 * retraining. For a layer y = W·x, the output error of quantizing row w is (w − ŵ)ᵀ H (w − ŵ) with H = Σ x xᵀ over
 * calibration inputs. Quantizing the row's inputs in order, the error e_j = w_j − ŵ_j of input j is spread over the
 * inputs not yet quantized so that the output barely moves:
 * <pre>
 *   U = upper Cholesky factor of (H + δI)^−1       δ = 1 % of the mean diagonal
 *   for j = 0 .. d−1:  ŵ_j = Δ · round(w_j / Δ);   w_k −= (w_j − ŵ_j) / U_jj · U_jk  for k &gt; j
 * </pre>
 * The result is a weight tensor the encoder then codes as usual (rounding to nearest on the same grid gives the
 * compensated levels back). The grid step depends on the tensor's σ, which the compensation moves slightly, so the
 * pass is repeated with the step of its own output until the two agree. Layers: Conv (group 1, 2-D) and Gemm
 * with transB = 1 whose weight is an initializer; x: (N,C,H,W) im2col patches (C·R·S) or Gemm rows (in).
 */
public final class ErrorCompensation {
    private static final int PASSES = 3;
    /** The factor U of each compensated layer's weight (it depends on the calibration inputs only, not on the step). */
    private final Map<String, double[][]> factors = new HashMap<>();

    private ErrorCompensation() {}

    /**
     * Collects the input statistics of the layers of {@code m} whose weights are in {@code targets} on the calibration
     * images (run in nnzip's engine) and factors them once; layers of other kinds are left out (coded plainly).
     */
    public static ErrorCompensation prepare(Model m, Set<String> targets, Dataset calib, Normalization norm, int batch) {
        ErrorCompensation ec = new ErrorCompensation();
        hessians(m, targets, calib, norm, batch).forEach((name, h) -> ec.factors.put(name, inverseCholeskyUpper(h, (int) Math.round(Math.sqrt(h.length)))));
        return ec;
    }

    /** The layers this compensates. */
    public Set<String> layers() { return factors.keySet(); }

    /** The factor U of layer {@code name} (null if not compensated): for compensating another quantity than the weights, e.g. an update's difference. */
    public double[][] factor(String name) { return factors.get(name); }

    /** {@code m} with the weights in {@code qps} replaced by their compensated versions for those QPs (per-tensor steps). */
    public Model apply(Model m, Map<String, Integer> qps) {
        Model out = m.copy();
        factors.forEach((name, u) -> {
            Integer qp = qps.get(name);
            if (qp == null) return;
            Tensor t = m.graph().initializer(name);
            float[] w = t.floats();
            int d = u.length, rows = w.length / d;
            double scale = Math.pow(2, qp / 4.0);
            double step = std(w) * scale;
            float[] adjusted = w;
            for (int pass = 0; pass < PASSES; pass++) {
                adjusted = compensate(w, rows, d, u, step);
                step = std(adjusted) * scale;
            }
            out.graph().initializers().put(name, new Tensor(DType.FLOAT, t.shape(), adjusted));
        });
        return out;
    }

    /** Compensated coding of some layers: their units as coded, and the model with their reconstructions in place. */
    public record Coded(Model model, Map<String, io.nnzip.codec.TensorUnit> units) {
        /** The source to encode: the reconstructions, with the compensated layers' units as they are. */
        public io.nnzip.codec.TensorSource source() { return io.nnzip.codec.TensorSource.withUnits(model, units); }
    }

    /**
     * The layers in {@code qps} coded by {@link CompensatedTrellis} (GPTQ's update inside a rate–distortion trellis)
     * at step Δ = σ · 2^(QP/4) of the original weights: dependent quantization if {@code dependent}, else scalar
     * levels. Two passes: the first prices bits at the contexts plain GPTQ's levels leave, the second at those of
     * the first pass's levels. Layers not compensated keep their weights (the encoder codes them with its options).
     */
    public Coded code(Model m, Map<String, Integer> qps, boolean dependent) {
        Model out = m.copy();
        Map<String, io.nnzip.codec.TensorUnit> units = new java.util.concurrent.ConcurrentHashMap<>();
        factors.entrySet().parallelStream().forEach(en -> {
            String name = en.getKey();
            double[][] u = en.getValue();
            Integer qp = qps.get(name);
            if (qp == null) return;
            Tensor t = m.graph().initializer(name);
            Object[] hit = cache.computeIfAbsent(name + "\u0000" + qp + "\u0000" + dependent, key -> codeLayer(name, t, u, qp, dependent));
            units.put(name, (io.nnzip.codec.TensorUnit) hit[0]);
            out.graph().initializers().put(name, (Tensor) hit[1]);
        });
        return new Coded(out, units);
    }

    private static Object[] codeLayer(String name, Tensor t, double[][] u, int qp, boolean dependent) {
        float[] w = t.floats();
        int d = u.length, rows = w.length / d;
        double step = std(w) * Math.pow(2, qp / 4.0);
        // levels of plain GPTQ at this step: what the first pass's bits are priced on
        float[] adj = compensate(w, rows, d, u, step);
        int[] start = new int[w.length];
        for (int i = 0; i < w.length; i++) start[i] = (int) level(adj[i], step);
        int[] q = start;
        boolean dqStart = false;
        CompensatedTrellis.Result r = null;
        for (int pass = 0; pass < 2; pass++) {
            int k = BinarizationChooser.chooseLevelCoding(q, null, dqStart).k();
            int[] ctx = io.nnzip.codec.binarize.RiceLevelBinarization.contexts();
            io.nnzip.codec.binarize.RiceLevelBinarization.encode(q, 0, q.length, null, k, dqStart, new io.nnzip.codec.cabac.BitCostEstimator(), ctx);
            r = CompensatedTrellis.search(w, u, step, dependent, RdQuantization.LAMBDA * LAMBDA_SCALE, k, ctx, io.nnzip.codec.TensorCodec.SLICE);
            q = r.levels();
            dqStart = dependent;
        }
        io.nnzip.codec.TensorUnit unit = new io.nnzip.codec.TensorUnit();
        unit.name = name;
        unit.dtype = t.dtype().onnx;
        int[] shape = t.shape();
        unit.dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) unit.dims[i] = shape[i];
        unit.method = io.nnzip.codec.TensorUnit.UNIFORM;
        unit.axis = -1;
        unit.dependent = dependent;
        unit.steps = new float[] {(float) (dependent ? step / 2 : step)};
        unit.rounding = 0.5f;
        io.nnzip.codec.TensorCodec.fillLevels(unit, q, null, 1);
        return new Object[] {unit, new Tensor(DType.FLOAT, t.shape(), io.nnzip.codec.TensorCodec.reconstructLevels(unit, q, null))};
    }

    /**
     * λ inside the compensated trellis, relative to {@link RdQuantization#LAMBDA}: at the full λ the trellis zeroed
     * levels whose cost the 1,024-image Hessian underrates (the issue-21 CNN lost 0.3–0.6 validation points at equal
     * bytes); a quarter of it was even with rounding to nearest there (BENCHMARKS.md, issue 21, session 8).
     */
    static final double LAMBDA_SCALE = 0.25;

    /** How the compensated layers' levels are decided: -1 GPTQ then rounding to nearest, else {@link CompensatedTrellis} (1 dependent). */
    private int trellis = -1;
    /** Coded layers by name, QP and mode: a search visits the same (layer, QP) many times. */
    private final Map<String, Object[]> cache = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * This compensation with level decisions by {@link CompensatedTrellis} for quantizer mode {@code quantizer}
     * ({@link CodecOptions#QUANT_RDOQ}: scalar levels, {@link CodecOptions#QUANT_TRELLIS}: dependent); for
     * {@link CodecOptions#QUANT_THETA} GPTQ's rounding to nearest (the encoder then re-derives the levels).
     */
    public ErrorCompensation withQuantizer(int quantizer) {
        trellis = quantizer == CodecOptions.QUANT_THETA ? -1 : quantizer == CodecOptions.QUANT_TRELLIS ? 1 : 0;
        return this;
    }

    /**
     * Bytes of layer {@code name}'s unit when coded by this compensation at {@code qp}, or -1 if this compensation
     * does not decide the levels itself (not a compensated layer, or rounding to nearest: the encoder's plain size
     * of the compensated weights is then the answer). Cached with the search's trials.
     */
    public int codedBytes(Model m, String name, int qp) {
        double[][] u = factors.get(name);
        if (u == null || trellis < 0) return -1;
        boolean dependent = trellis == 1;
        Tensor t = m.graph().initializer(name);
        Object[] hit = cache.computeIfAbsent(name + "\u0000" + qp + "\u0000" + dependent, key -> codeLayer(name, t, u, qp, dependent));
        return io.nnzip.codec.ModelEncoder.unitBytes((io.nnzip.codec.TensorUnit) hit[0]);
    }

    /** What the encoder codes for layer QPs {@code qps}: the compensated weights, or the trellis's units. */
    public io.nnzip.codec.TensorSource source(Model m, Map<String, Integer> qps) {
        return trellis < 0 ? io.nnzip.codec.TensorSource.of(apply(m, qps)) : code(m, qps, trellis == 1).source();
    }

    /** The level the coder gives {@code x} at {@code step} (nearest, halves away from zero: {@link #codingOptions}' rounding 0.5). */
    public static double level(double x, double step) { return Math.signum(x) * Math.floor(Math.abs(x) / step + 0.5); }

    /** One pass over {@code rows} rows of {@code d} inputs: the adjusted values whose rounding to multiples of {@code step} is compensated. */
    public static float[] compensate(float[] w, int rows, int d, double[][] u, double step) {
        float[] out = new float[w.length];
        for (int r = 0; r < rows; r++) {
            double[] row = new double[d];
            for (int j = 0; j < d; j++) row[j] = w[r * d + j];
            for (int j = 0; j < d; j++) {
                double x = row[j];
                out[r * d + j] = (float) x;
                double q = level(x, step) * step;
                double e = (x - q) / u[j][j];
                double[] uj = u[j];
                for (int k = j + 1; k < d; k++) row[k] -= e * uj[k];
            }
        }
        return out;
    }

    /** H = Σ x xᵀ of every target layer's input vectors over the calibration images (double, d×d row-major). */
    static Map<String, double[]> hessians(Model m, Set<String> targets, Dataset calib, Normalization norm, int batch) {
        try (BatchLoader loader = new BatchLoader(calib, batch, false, norm, Augment.NONE, 0, 0)) {
            return hessians(m, targets, () -> new java.util.Iterator<Tensor>() {
                public boolean hasNext() { return loader.hasNext(); }

                public Tensor next() { return loader.next().images(); }
            });
        }
    }

    /** The same over input batches already prepared (normalized), e.g. a quantizer's calibration batches. */
    public static Map<String, double[]> hessians(Model m, Set<String> targets, Iterable<Tensor> batches) {
        Map<String, double[]> hs = new HashMap<>();
        Parallel par = Parallel.common();
        Executor ex = new Executor(m, par);
        ex.setListener((node, in, outs, nanos) -> {
            if (in.length < 2 || in[1] == null || !targets.contains(node.inputs().get(1))) return;
            String w = node.inputs().get(1);
            Tensor x = in[0];
            if (node.opType().equals("Conv") && x.rank() == 4 && in[1].rank() == 4) {
                ConvGeometry g = ConvAttrs.conv(node, x.shape(), in[1].shape());
                if (g.group() != 1) return;
                int d = g.colRows(), pq = g.p() * g.q(), chw = g.c() * g.h() * g.w();
                float[] col = new float[d * pq], hb = new float[d * d];
                float[] xs = x.floats();
                for (int n = 0; n < g.n(); n++) {
                    Im2Col.im2col(g, xs, n * chw, 0, col);
                    Sgemm.gemm(false, true, d, d, pq, 1f, col, 0, pq, col, 0, pq, n == 0 ? 0f : 1f, hb, 0, d, par);
                }
                add(hs, w, hb);
            } else if (node.opType().equals("Gemm") && x.rank() == 2 && in[1].rank() == 2 && node.attrInt("transB", 0) == 1 && node.attrInt("transA", 0) == 0) {
                int n = x.dim(0), d = x.dim(1);
                float[] hb = new float[d * d];
                Sgemm.gemm(true, false, d, d, n, 1f, x.floats(), 0, d, x.floats(), 0, d, 0f, hb, 0, d, par);
                add(hs, w, hb);
            }
        });
        String input = m.graph().runtimeInputs().getFirst().name();
        for (Tensor b : batches) ex.run(Map.of(input, b));
        return hs;
    }

    private static synchronized void add(Map<String, double[]> hs, String w, float[] hb) {
        double[] h = hs.computeIfAbsent(w, k -> new double[hb.length]);
        for (int i = 0; i < h.length; i++) h[i] += hb[i];
    }

    /** U upper triangular with (H + δI)^−1 = Uᵀ U; dead inputs (zero diagonal) get a unit diagonal. */
    public static double[][] inverseCholeskyUpper(double[] h, int d) {
        double[][] a = new double[d][d];
        double mean = 0;
        for (int i = 0; i < d; i++) mean += h[i * d + i];
        mean /= d;
        double damp = 0.01 * (mean > 0 ? mean : 1);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) a[i][j] = h[i * d + j];
            if (a[i][i] <= 0) a[i][i] = 1;
            a[i][i] += damp;
        }
        double[][] l = cholesky(a, d);
        // inv(L) (lower), then H^−1 = inv(L)ᵀ inv(L)
        double[][] li = new double[d][d];
        for (int c = 0; c < d; c++) {
            li[c][c] = 1 / l[c][c];
            for (int i = c + 1; i < d; i++) {
                double s = 0;
                for (int k = c; k < i; k++) s += l[i][k] * li[k][c];
                li[i][c] = -s / l[i][i];
            }
        }
        double[][] inv = new double[d][d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = i; k < d; k++) s += li[k][i] * li[k][j];
                inv[i][j] = s;
                inv[j][i] = s;
            }
        double[][] lo = cholesky(inv, d);
        double[][] u = new double[d][d];
        for (int i = 0; i < d; i++) for (int j = i; j < d; j++) u[i][j] = lo[j][i];
        return u;
    }

    private static double[][] cholesky(double[][] a, int d) {
        double[][] l = new double[d][d];
        for (int j = 0; j < d; j++) {
            double s = a[j][j];
            for (int k = 0; k < j; k++) s -= l[j][k] * l[j][k];
            l[j][j] = Math.sqrt(Math.max(s, 1e-12));
            for (int i = j + 1; i < d; i++) {
                double t = a[i][j];
                double[] li = l[i], lj = l[j];
                for (int k = 0; k < j; k++) t -= li[k] * lj[k];
                l[i][j] = t / l[j][j];
            }
        }
        return l;
    }

    private static double std(float[] a) {
        double s = 0, ss = 0;
        for (float v : a) {
            s += v;
            ss += (double) v * v;
        }
        double mu = s / a.length;
        return Math.sqrt(Math.max(ss / a.length - mu * mu, 1e-30));
    }

    /** The options the compensated weights must be coded with: per-tensor steps, rounding to nearest. */
    public static CodecOptions codingOptions(CodecOptions o) { return o.withPerChannel(false).withRounding(0.5); }
}
