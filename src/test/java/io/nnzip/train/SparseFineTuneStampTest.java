package io.nnzip.train;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.data.Batch;
import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.SparseRows;
import io.nnzip.engine.kernels.SparseWeights;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.models.Models;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A pruned MLP fine-tuned in place while one inference executor is held on the live weights (as {@code Trainer.fit}
 * holds its validation predictor): after a step, the engine's sparse kernel must run the moved weights, not the
 * compressed rows cached before the step. The engine skips its content compare while the weight stamp has not moved,
 * so this fails when the trainer's step does not bump the stamp. Reference: a double-precision forward of the graph's
 * Gemm/ReLU chain written here from the initializers.
 */
class SparseFineTuneStampTest {
    @Test
    void aFineTuningStepIsSeenByTheSparseKernel() {
        int batch = 32;
        SplittableRandom r = new SplittableRandom(3);
        float[] px = new float[batch * 784];
        int[] labels = new int[batch];
        for (int i = 0; i < px.length; i++) px[i] = (float) r.nextDouble();
        for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
        Batch b = new Batch(Tensor.of(px, batch, 1, 28, 28), labels);
        List<boolean[]> masks = new ArrayList<>();
        List<float[]> pruned = new ArrayList<>();
        // re-masks after every step, as pruning's fine-tuning does, so the big layer stays sparse
        StepHook remask = new StepHook() {
            @Override
            public void afterStep(Trainer t) {
                for (int i = 0; i < pruned.size(); i++) {
                    float[] w = pruned.get(i);
                    boolean[] keep = masks.get(i);
                    for (int j = 0; j < w.length; j++) if (!keep[j]) w[j] = 0f;
                }
            }
        };
        boolean was = SparseWeights.enabled;
        SparseWeights.enabled = true;
        try (Trainer t = new Trainer(Models.mlp(1f, 10, 1), new Trainer.Options().optimizer("sgd").lr(0.5f).seed(1).threads(2).hook(remask));
                Parallel par = new Parallel(2)) {
            Graph g = t.model().graph();
            for (Node n : g.nodes()) {
                if (!n.opType().equals("Gemm")) continue;
                float[] w = g.initializer(n.input(1)).floats();
                if (w.length < 20_000) continue;
                masks.add(prune(w, 0.95));
                pruned.add(w);
            }
            assertTrue(!pruned.isEmpty());
            Executor ex = new Executor(t.model(), par);
            String in = g.runtimeInputs().getFirst().name(), out = g.outputNames().getFirst();
            float[] before = ex.run(Map.of(in, b.images())).get(out).floats().clone();
            close(reference(t.model(), px, batch), before, "before the step");
            assertSparse(t.model());
            float[] w0 = pruned.getFirst().clone();
            t.step(b, 0.5f);
            assertTrue(!Arrays.equals(w0, pruned.getFirst()), "the step moved the pruned layer's weights");
            assertSparse(t.model());
            float[] after = ex.run(Map.of(in, b.images())).get(out).floats();
            double[] want = reference(t.model(), px, batch);
            double moved = 0;
            for (int i = 0; i < after.length; i++) moved = Math.max(moved, Math.abs(want[i] - before[i]));
            assertTrue(moved > 1e-2, "the step changed the outputs by " + moved + ": too little for the test to tell stale from fresh");
            close(want, after, "after the step");
        } finally {
            SparseWeights.enabled = was;
        }
    }

    /** The big layer runs sparse (its weights pay for compressed rows), so the check covers the sparse kernel. */
    private static void assertSparse(Model m) {
        for (Node n : m.graph().nodes()) {
            if (!n.opType().equals("Gemm")) continue;
            Tensor w = m.graph().initializer(n.input(1));
            if (w.size() < 20_000) continue;
            SparseRows sp = n.attrInt("transB", 0) != 0 ? SparseWeights.rows(w.floats(), 0, w.dim(0), w.dim(1)) : SparseWeights.columns(w.floats(), 0, w.dim(0), w.dim(1));
            assertNotNull(sp, n.name() + " runs dense");
        }
    }

    private static void close(double[] want, float[] got, String when) {
        for (int i = 0; i < want.length; i++)
            if (Math.abs(got[i] - want[i]) > 1e-4 * (1 + Math.abs(want[i])))
                throw new AssertionError(when + ": output " + i + " = " + got[i] + ", reference " + want[i]);
    }

    /** Zeroes all but the largest-magnitude (1 − share) of {@code w}; the mask of kept weights. */
    private static boolean[] prune(float[] w, double share) {
        float[] a = new float[w.length];
        for (int i = 0; i < w.length; i++) a[i] = Math.abs(w[i]);
        Arrays.sort(a);
        float th = a[(int) (share * w.length)];
        boolean[] keep = new boolean[w.length];
        for (int i = 0; i < w.length; i++) {
            keep[i] = Math.abs(w[i]) >= th;
            if (!keep[i]) w[i] = 0f;
        }
        return keep;
    }

    /** The graph's Flatten → (Gemm → Relu)* → Gemm chain in double precision. */
    private static double[] reference(Model m, float[] px, int batch) {
        Graph g = m.graph();
        double[] x = new double[px.length];
        for (int i = 0; i < px.length; i++) x[i] = px[i];
        int width = px.length / batch;
        for (Node n : g.nodes()) {
            switch (n.opType()) {
                case "Flatten", "Reshape" -> {}
                case "Relu" -> {
                    for (int i = 0; i < x.length; i++) x[i] = Math.max(0, x[i]);
                }
                case "Gemm" -> {
                    if (n.attrInt("transA", 0) != 0 || n.attrFloat("alpha", 1f) != 1f || n.attrFloat("beta", 1f) != 1f) throw new AssertionError("unexpected " + n.describe());
                    Tensor wt = g.initializer(n.input(1));
                    boolean tb = n.attrInt("transB", 0) != 0;
                    int k = width, out = tb ? wt.dim(0) : wt.dim(1);
                    float[] w = wt.floats(), bias = n.inputs().size() > 2 ? g.initializer(n.input(2)).floats() : null;
                    double[] y = new double[batch * out];
                    for (int i = 0; i < batch; i++)
                        for (int j = 0; j < out; j++) {
                            double s = bias == null ? 0 : bias[j];
                            for (int c = 0; c < k; c++) s += x[i * k + c] * w[tb ? j * k + c : c * out + j];
                            y[i * out + j] = s;
                        }
                    x = y;
                    width = out;
                }
                default -> throw new AssertionError("unexpected op " + n.opType());
            }
        }
        return x;
    }
}
