package io.nnzip.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.kernels.SparseRows;
import io.nnzip.engine.kernels.SparseWeights;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pruned PyTorch exports run through the engine's sparse kernels must compute what ONNX Runtime computes. */
class SparseExecutionTest {
    /** Zeroes all but every tenth weight (a hand-countable 90 % sparsity). */
    static int pruneNine(Model m) {
        int pruned = 0;
        for (Node n : m.graph().nodes()) {
            if (!n.opType().equals("Conv") && !n.opType().equals("Gemm")) continue;
            float[] w = m.graph().initializer(n.input(1)).floats();
            if (w.length < 4096) continue;
            for (int i = 0; i < w.length; i++) if (i % 10 != 3) w[i] = 0f;
            pruned++;
        }
        return pruned;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_op13.onnx", "cnn_op17.onnx", "mlp_op13.onnx", "mlp_op17.onnx"})
    void prunedModelMatchesOrt(String file) {
        Model m = PyTorchExportsTest.load(file);
        io.nnzip.engine.Canonical.apply(m);
        assertTrue(pruneNine(m) > 0);
        for (Node n : m.graph().nodes()) {
            if (!n.opType().equals("Conv") && !n.opType().equals("Gemm") || m.graph().initializer(n.input(1)).size() < 4096) continue;
            Tensor w = m.graph().initializer(n.input(1));
            assertNotNull(SparseWeights.rows(w.floats(), 0, w.shape()[0], w.size() / w.shape()[0]), "sparse path taken");
        }
        // the reference batch and a batch of 70 (a full block of the sparse Gemm's batch vectors and a partial one)
        Tensor x0 = PyTorchExportsTest.x();
        float[] big = new float[70 * (x0.size() / x0.dim(0))];
        for (int i = 0; i < big.length; i++) big[i] = x0.floats()[i % x0.size()] * (1 + (i / x0.size()) * 0.1f);
        int[] shape = x0.shape().clone();
        shape[0] = 70;
        for (Tensor x : new Tensor[] {x0, Tensor.of(big, shape)}) {
            Tensor ort = PyTorchExportsTest.ort(m, x);
            for (Model run : new Model[] {m, Fusion.forInference(m)}) {
                Tensor eng = new Executor(run).run(Map.of("input", x)).get("logits");
                assertArrayEquals(ort.floats(), eng.floats(), 1e-4f, file);
            }
        }
    }

    @Test
    void csrProductAgainstPlainLoops() {
        SplittableRandom r = new SplittableRandom(5);
        int rows = 37, cols = 91, m = 83;
        float[] w = new float[rows * cols], b = new float[cols * m];
        for (int i = 0; i < w.length; i++) w[i] = r.nextInt(10) == 0 ? (float) r.nextGaussian() : 0f;
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        SparseRows s = SparseRows.of(w, 0, rows, cols);
        int nz = 0;
        for (float v : w) if (v != 0) nz++;
        assertEquals(nz, s.nonzeros());
        float[] y = new float[rows * m];
        java.util.Arrays.fill(y, 1f);
        s.multiply(b, 0, m, m, 2f, y, 0, m, true, null);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < m; j++) {
                double e = 0;
                for (int c = 0; c < cols; c++) e += w[i * cols + c] * b[c * m + j];
                assertEquals(1 + 2 * e, y[i * m + j], 1e-4, i + "," + j);
            }
        // a dense matrix stays with the dense kernel
        float[] dense = new float[64 * 128];
        java.util.Arrays.fill(dense, 1f);
        assertNull(SparseWeights.rows(dense, 0, 64, 128));
    }
}
