package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.Executor;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.WeightWrites;
import io.nnzip.models.Models;
import io.nnzip.ir.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Gemm with a weight large enough for {@link GemmWeightCache}, against a double-precision reference: odd sizes
 * (partial micro-kernel tiles, depth over one packing block), both layouts of A and B, alpha/beta with a bias row,
 * and weights changed in place between two runs (as an optimizer does, which bumps {@link WeightWrites}), which must
 * not reuse the stale packing. The context is an {@link Executor}'s: only inference caches packed weights.
 */
class GemmWeightCacheTest {
    @Test
    void packedWeightsFollowInPlaceUpdates() {
        for (Parallel par : new Parallel[] {new Parallel(1), Ops.TEAM})
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++) {
                    int m = 37, k = 301, n = 70;
                    float[] a = Ops.ramp(m * k, 1f, 0.1f), b = Ops.ramp(k * n, 0.5f, -0.05f), c = Ops.ramp(n, 2f, 0f);
                    Tensor at = ta == 1 ? Tensor.of(a, k, m) : Tensor.of(a, m, k), bt = tb == 1 ? Tensor.of(b, n, k) : Tensor.of(b, k, n);
                    ExecContext ctx = new Executor(Models.create("mlp", 1f, 10, 1), par).context();
                    if (!ctx.inference()) throw new AssertionError("an executor's context should cache weights");
                    Attribute[] attrs = {Attribute.of("transA", (long) ta), Attribute.of("transB", (long) tb), Attribute.of("alpha", 0.75f), Attribute.of("beta", 1.5f)};
                    for (int round = 0; round < 4; round++) {
                        if (round == 2) for (int i = 0; i < b.length; i += 7) b[i] += 0.25f * (i % 3 - 1);
                        if (round >= 2) WeightWrites.bump();
                        float[] y = Ops.run(ctx, "Gemm", 1, new Tensor[] {at, bt, Tensor.of(c, n)}, attrs)[0].floats();
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < n; j++) {
                                double s = 0;
                                for (int p = 0; p < k; p++) s += (double) a[ta == 1 ? p * m + i : i * k + p] * b[tb == 1 ? j * k + p : p * n + j];
                                double want = 0.75 * s + 1.5 * c[j];
                                if (Math.abs(y[i * n + j] - want) > 1e-4 * (1 + Math.abs(want)))
                                    throw new AssertionError("ta=" + ta + " tb=" + tb + " round " + round + ": y[" + i + "," + j + "]=" + y[i * n + j] + ", expected " + want);
                            }
                    }
                }
    }
}
