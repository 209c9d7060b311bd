package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.NnzInspector;
import io.nnzip.codec.RowSkip;
import io.nnzip.codec.StepAssertions;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.codec.TensorSource;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzReader;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Row skip flags of DOM_UNIFORM units (format version 6). */
class RowSkipTest {
    private static final CodecOptions O = CodecOptions.defaults().withThreads(1);

    /** {@code received} with the first {@code moved} rows of {@code name} moved by 3 steps (random signs); the other rows untouched. */
    private static void moveRows(Model m, String name, int moved, Random r) {
        Tensor t = m.graph().initializer(name);
        float[] w = t.floats().clone();
        int rowLen = w.length / t.shape()[0];
        double ss = 0;
        for (float v : w) ss += (double) v * v;
        double step = Math.sqrt(ss / w.length) * Math.pow(2, O.qpFor(name) / 4.0);
        for (int i = 0; i < moved * rowLen; i++) w[i] += (float) (3 * step * (r.nextBoolean() ? 1 : -1));
        m.graph().initializers().put(name, new Tensor(t.dtype(), t.shape(), w));
    }

    @Test
    void rowsThatDidNotMoveAreFlaggedAndThePatchEqualsTheSendersReconstruction() {
        Model base = SyntheticModels.cnn(1, 16, 32, 64);
        Model received = NnzCodec.decode(NnzCodec.encode(base, O));
        Model next = received.copy();
        Random r = new Random(5);
        moveRows(next, "conv2.weight", 8, r);  // 8 of 32 output channels
        moveRows(next, "fc1.weight", 5, r);    // 5 of 64 rows
        byte[] update = DiffEncoder.diff(received, next, O, true);
        assertEquals(NnzFormat.VERSION, new NnzReader(update, "update").version());
        assertEquals(8, NnzFormat.VERSION);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> units = (List<Map<String, Object>>) NnzInspector.inspect(update, "update").get("units");
        Map<String, Object> conv2 = units.stream().filter(u -> "conv2.weight".equals(u.get("name"))).findFirst().orElseThrow();
        Map<String, Object> fc1 = units.stream().filter(u -> "fc1.weight".equals(u.get("name"))).findFirst().orElseThrow();
        assertEquals(8, ((Number) conv2.get("rows_kept")).intValue(), conv2.toString());
        assertEquals(5, ((Number) fc1.get("rows_kept")).intValue(), fc1.toString());

        Model patched = NnzCodec.patch(received, update);
        // The sender's reconstruction (what its encoder decodes from the units it wrote) equals the receiver's, bit for bit.
        Map<String, Tensor> sender = ModelEncoder.writeUnits(null, TensorSource.of(next), received, O, true).reconstruction();
        assertEquals(next.graph().initializers().keySet(), sender.keySet());
        for (var e : sender.entrySet()) {
            Tensor p = patched.graph().initializer(e.getKey());
            if (e.getValue().dtype() == io.nnzip.ir.DType.FLOAT) assertArrayEquals(e.getValue().floats(), p.floats(), e.getKey());
            else assertEquals(e.getValue(), p, e.getKey());
        }
        // Skipped rows are the receiver's copy exactly; the moved ones are within the step of the new model.
        for (String name : List.of("conv2.weight", "fc1.weight")) {
            float[] p = patched.graph().initializer(name).floats(), b = received.graph().initializer(name).floats();
            int rowLen = p.length / patched.graph().initializer(name).shape()[0], moved = name.startsWith("conv2") ? 8 : 5;
            for (int i = moved * rowLen; i < p.length; i++) assertEquals(Float.floatToRawIntBits(b[i]), Float.floatToRawIntBits(p[i]), name + "[" + i + "]");
        }
        StepAssertions.assertWithinStep(next, patched, O);
        // ONNX Runtime runs the patched model, and its logits are those of the new model up to the quantization noise.
        float[] px = new float[4 * 784];
        for (int i = 0; i < px.length; i++) px[i] = r.nextFloat();
        float[] want = ort(next, px), got = ort(patched, px);
        double err = 0, norm = 0;
        for (int i = 0; i < want.length; i++) {
            err += (double) (want[i] - got[i]) * (want[i] - got[i]);
            norm += (double) want[i] * want[i];
        }
        assertTrue(err < 0.01 * norm, "logits error " + err + " of " + norm);
    }

    private static float[] ort(Model m, float[] px) {
        try (OrtRunner ort = new OrtRunner(m, 1)) {
            return ort.run(Map.of("input", Tensor.of(px.clone(), px.length / 784, 1, 28, 28))).get("logits").floats();
        }
    }

    @Test
    void flagsRoundTripAndADisagreeingKeptCountIsRefused() {
        Random r = new Random(3);
        boolean[] skip = new boolean[300], zero = new boolean[300];
        int kept = 0;
        for (int i = 0; i < skip.length; i++) {
            skip[i] = r.nextInt(4) != 0;
            zero[i] = r.nextInt(3) == 0;
            if (!skip[i]) kept++;
        }
        byte[] coded = RowSkip.encode(skip, zero);
        assertArrayEquals(skip, RowSkip.decode(coded, skip.length, kept, zero, "t"));
        // 300 flags at P(skip) = 3/4 carry about 300 · 0.81 bits ≈ 31 bytes of information.
        assertTrue(coded.length < 45, coded.length + " bytes");
        final int k = kept;
        NnzipException e = assertThrows(NnzipException.class, () -> RowSkip.decode(coded, skip.length, k + 1, zero, "t"));
        assertTrue(e.getMessage().contains("row flags keep"), e.getMessage());
    }
}
