package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Top-k sparsified updates: the hand count of moved weights, and error feedback that loses nothing over rounds. */
class SparseUpdateTest {
    @Test
    void movesTopKAndTheResidualCarriesTheRest() {
        CodecOptions o = CodecOptions.defaults().withThreads(1);
        Model have = NnzCodec.decode(NnzCodec.encode(OnnxReader.read(Path.of("src/test/resources/codec/v4/base.onnx")), o));
        Model next = SyntheticModels.finetune(have, 4, 0.1);
        SparseUpdate.Sparse s = SparseUpdate.sparsify(have, next, Map.of(), 0.1);
        long expect = 0, total = 0;
        for (var e : have.graph().initializers().entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() != io.nnzip.ir.DType.FLOAT || t.rank() < 2 || t.size() < CodecOptions.MIN_QUANTIZED) continue;
            expect += (long) Math.ceil(0.1 * t.size());
            total += t.size();
            float[] a = t.floats(), b = s.target().graph().initializer(e.getKey()).floats();
            int moved = 0;
            for (int i = 0; i < a.length; i++) if (a[i] != b[i]) moved++;
            assertEquals((int) Math.ceil(0.1 * t.size()), moved, e.getKey());
        }
        assertEquals(expect, s.kept());
        assertEquals(total, s.total());
        byte[] upd = DiffEncoder.diff(have, s.target(), o, true);
        Model patched = Patcher.patch(have, upd, "u", 1);
        Map<String, Tensor> res = SparseUpdate.residual(have, next, Map.of(), patched);
        // error feedback: patched + residual = next, weight by weight
        for (var e : res.entrySet()) {
            float[] p = patched.graph().initializer(e.getKey()).floats(), r = e.getValue().floats(), n = next.graph().initializer(e.getKey()).floats();
            for (int i = 0; i < p.length; i++) assertEquals(n[i], p[i] + r[i], 1e-6f, e.getKey() + "[" + i + "]");
        }
        assertTrue(upd.length < DiffEncoder.diff(have, next, o, true).length, "the sparse update is smaller than the dense one");
    }
}
