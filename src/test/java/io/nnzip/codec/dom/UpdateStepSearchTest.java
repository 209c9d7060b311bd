package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.rd.AccuracyProbe;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The accuracy-driven update step, checked through the serialized path (diff to bytes, patch from bytes) rather than
 * the search's own in-memory reconstruction, against a probe whose "accuracy" is a known function of the weights.
 */
class UpdateStepSearchTest {
    static final Path BASE = Path.of("src/test/resources/codec/v4/base.onnx"), NEXT = Path.of("src/test/resources/codec/v4/next.onnx");

    /** 1 − RMS error of the patched weights against the new model's / (100·scale): "points" fall with the update's step. */
    static AccuracyProbe probe(Model next, double scale) {
        return m -> 1 - rms(next, m) / scale / 100;
    }

    static double rms(Model next, Model m) {
        double se = 0;
        long n = 0;
        for (var e : next.graph().initializers().entrySet()) {
            if (e.getValue().dtype() != DType.FLOAT) continue;
            float[] a = e.getValue().floats(), b = m.graph().initializer(e.getKey()).floats();
            for (int i = 0; i < a.length; i++) se += (a[i] - b[i]) * (double) (a[i] - b[i]);
            n += a.length;
        }
        return Math.sqrt(se / n);
    }

    @Test
    void theChosenStepHoldsTheBoundAndCostsNoMoreThanTheCoarsestPassingQp() throws Exception {
        Model base = OnnxReader.read(BASE), next = OnnxReader.read(NEXT);
        CodecOptions baseOpts = CodecOptions.defaults().withThreads(1);
        Model have = NnzCodec.decode(NnzCodec.encode(base, baseOpts));
        // Scaled so that the update at the base's own step costs 0.2 points.
        double e0 = rms(next, Patcher.patch(have, DiffEncoder.diff(have, next, baseOpts, true), "u", 1));
        AccuracyProbe p = probe(next, e0 / 0.2);
        double maxDrop = 0.5, floor = p.accuracy(next) - maxDrop / 100;
        UpdateStepSearch.Result r = UpdateStepSearch.search(have, next, p, maxDrop, q -> baseOpts.withQp(q), baseOpts.qp(), s -> {});
        // Reference: every QP through the bytes a receiver gets.
        List<long[]> passing = new ArrayList<>();
        for (int q = baseOpts.qp(); q <= UpdateStepSearch.QP_COARSEST; q++) {
            byte[] u = DiffEncoder.diff(have, next, baseOpts.withQp(q), true);
            if (p.accuracy(Patcher.patch(have, u, "u", 1)) >= floor) passing.add(new long[] {q, u.length});
        }
        assertFalse(passing.isEmpty());
        byte[] chosen = DiffEncoder.diff(have, next, baseOpts.withQp(r.qp()), true);
        assertTrue(p.accuracy(Patcher.patch(have, chosen, "u", 1)) >= floor, "the chosen QP " + r.qp() + " keeps the bound");
        assertTrue(r.qp() > baseOpts.qp(), "a 0.5-point budget allows a coarser update step than the base's");
        long coarsestPassingBytes = passing.getLast()[1];
        assertTrue(chosen.length <= coarsestPassingBytes, chosen.length + " B vs " + coarsestPassingBytes + " B at QP " + passing.getLast()[0]);
        assertTrue(chosen.length < DiffEncoder.diff(have, next, baseOpts, true).length, "smaller than the update at the base's step");
    }

    @Test
    void anUpdateAtItsOwnStepPatchesTheOriginalBaseThroughTheRecordedBaseRecipe() throws Exception {
        Model base = OnnxReader.read(BASE), next = OnnxReader.read(NEXT);
        CodecOptions baseOpts = CodecOptions.defaults().withThreads(1), upd = baseOpts.withQp(-4);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DiffEncoder.diff(base, baseOpts, next, upd, false, out);
        byte[] u = out.toByteArray();
        Model have = NnzCodec.decode(NnzCodec.encode(base, baseOpts));
        Model fromCopy = Patcher.patch(have, u, "u", 1), fromOriginal = Patcher.patch(base, u, "u", 1);
        for (var e : next.graph().initializers().entrySet()) {
            Tensor a = fromCopy.graph().initializer(e.getKey()), b = fromOriginal.graph().initializer(e.getKey());
            assertEquals(a, b, e.getKey());
        }
        // The update's own options parse back unchanged; the base's recipe is recovered exactly.
        String rec = CodecOptions.withBaseRecipe(upd.recipe(), baseOpts.recipe());
        assertEquals(upd.recipe(), CodecOptions.parseRecipe(rec, 1).recipe());
        assertEquals(baseOpts.recipe(), CodecOptions.baseRecipe(rec));
        assertEquals(upd.recipe(), CodecOptions.baseRecipe(upd.recipe()));
        // A model that is neither the base nor its coded copy is refused.
        assertThrows(io.nnzip.ir.NnzipException.class, () -> Patcher.patch(next, u, "u", 1));
    }
}
