package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.NnzInspector;
import io.nnzip.codec.StepAssertions;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.codec.TensorSource;
import io.nnzip.codec.TensorUnit;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.bits.ByteSink;
import io.nnzip.codec.bits.ByteSource;
import io.nnzip.codec.cabac.RangeDecoder;
import io.nnzip.codec.cabac.RangeEncoder;
import io.nnzip.codec.syntax.SyntaxReader;
import io.nnzip.codec.syntax.SyntaxWriter;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Level scheme 2 (format version 7): sig contexts split by the activity of the level's column. */
class ColumnContextTest {
    private static final CodecOptions O = CodecOptions.defaults().withThreads(1);

    /** Levels in rows of {@code rowLen} where a quarter of the columns carry nearly all nonzero levels. */
    private static int[] columnLevels(Random r, int rows, int rowLen) {
        int[] q = new int[rows * rowLen];
        for (int i = 0; i < q.length; i++) {
            boolean active = (i % rowLen) % 4 == 1;
            double p = active ? 0.5 : 0.01;
            if (r.nextDouble() < p) q[i] = (r.nextBoolean() ? 1 : -1) * (1 + (r.nextInt(8) == 0 ? r.nextInt(40) : 0));
        }
        return q;
    }

    @Test
    void levelsRoundTripInBothQuantizerModesAndFromASliceStartInsideARow() {
        Random r = new Random(11);
        int rowLen = 37, rows = 300;
        int[] q = columnLevels(r, rows, rowLen);
        byte[] base = new byte[q.length];
        for (int i = 0; i < base.length; i++) base[i] = (byte) r.nextInt(5);
        for (boolean dependent : new boolean[] {false, true})
            for (int from : new int[] {0, 100}) {
                int to = q.length - 3;
                RangeEncoder enc = new RangeEncoder(8192);
                RiceLevelBinarization.encodeColumns(q, from, to, base, 2, dependent, rowLen, enc, RiceLevelBinarization.columnContexts());
                int[] back = new int[q.length];
                RiceLevelBinarization.decodeColumns(back, from, to, base, 2, dependent, rowLen, new RangeDecoder(enc.finish(), "t"), RiceLevelBinarization.columnContexts());
                int[] want = new int[q.length];
                System.arraycopy(q, from, want, from, to - from);
                assertArrayEquals(want, back, "dependent " + dependent + ", from " + from);
            }
        // Column-clustered levels cost less with the column contexts than with scheme 0's, on the same levels.
        RangeEncoder plain = new RangeEncoder(8192), cols = new RangeEncoder(8192);
        RiceLevelBinarization.encode(q, 0, q.length, base, 2, false, plain, RiceLevelBinarization.contexts());
        RiceLevelBinarization.encodeColumns(q, 0, q.length, base, 2, false, rowLen, cols, RiceLevelBinarization.columnContexts());
        int p = plain.finish().length, c = cols.finish().length;
        assertTrue(c < 0.85 * p, "columns " + c + " B vs plain " + p + " B");
    }

    @Test
    void anUpdateWhoseChangeSitsInColumnsIsCodedWithSchemeTwoAndPatchesExactly() {
        Model base = SyntheticModels.cnn(1, 16, 32, 64);
        Model received = NnzCodec.decode(NnzCodec.encode(base, O));
        Model next = received.copy();
        Tensor t = next.graph().initializer("fc1.weight"); // 64 rows of 1568 inputs
        float[] w = t.floats().clone();
        int rowLen = t.shape()[1];
        Random r = new Random(7);
        double ss = 0;
        for (float v : w) ss += (double) v * v;
        double step = Math.sqrt(ss / w.length) * Math.pow(2, O.qpFor("fc1.weight") / 4.0);
        // Fine-tuning that moved 1 input in 16 in every row by a few steps, and the others by less than half a step.
        for (int i = 0; i < w.length; i++) w[i] += (float) ((i % rowLen) % 16 == 3 ? 3 * step * r.nextGaussian() : 0.1 * step * r.nextGaussian());
        next.graph().initializers().put("fc1.weight", new Tensor(t.dtype(), t.shape(), w));

        byte[] update = DiffEncoder.diff(received, next, O, true);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> units = (List<Map<String, Object>>) NnzInspector.inspect(update, "update").get("units");
        Map<String, Object> fc1 = units.stream().filter(u -> "fc1.weight".equals(u.get("name"))).findFirst().orElseThrow();
        assertEquals("rice-columns", fc1.get("binarization"), fc1.toString());

        Model patched = NnzCodec.patch(received, update);
        Map<String, Tensor> sender = ModelEncoder.writeUnits(null, TensorSource.of(next), received, O, true).reconstruction();
        for (var e : sender.entrySet())
            if (e.getValue().dtype() == io.nnzip.ir.DType.FLOAT) assertArrayEquals(e.getValue().floats(), patched.graph().initializer(e.getKey()).floats(), e.getKey());
        StepAssertions.assertWithinStep(next, patched, O);
        // Weights of the inputs that did not move stay the receiver's exactly (their change was far below the step).
        float[] p = patched.graph().initializer("fc1.weight").floats(), b = received.graph().initializer("fc1.weight").floats();
        int moved = 0;
        for (int i = 0; i < p.length; i++)
            if ((i % rowLen) % 16 != 3) assertEquals(b[i], p[i], 0.0f, "fc1.weight[" + i + "]");
            else if (p[i] != b[i]) moved++;
        assertTrue(moved > p.length / 16 / 2, moved + " moved weights");
    }

    @Test
    void schemeTwoIsRefusedBeforeVersion7AndOutsideDifferencesOfRankTwo() {
        TensorUnit u = new TensorUnit();
        u.name = "t";
        u.dtype = 1;
        u.dims = new long[] {4, 8};
        u.method = TensorUnit.DOM_UNIFORM;
        u.steps = new float[] {0.1f};
        u.scheme = TensorUnit.SCHEME_RICE_COLUMNS;
        u.sliceElements = 32;
        u.slices = new byte[][] {new byte[4]};
        ByteSink s = new ByteSink();
        u.syntax(new SyntaxWriter(s));
        byte[] bytes = s.toByteArray();
        for (int version : new int[] {7, 6}) {
            TensorUnit v = new TensorUnit();
            v.formatVersion = version;
            if (version == 7) {
                v.syntax(new SyntaxReader(new ByteSource(bytes, "t")));
                assertEquals(TensorUnit.SCHEME_RICE_COLUMNS, v.scheme);
            } else {
                NnzipException e = assertThrows(NnzipException.class, () -> v.syntax(new SyntaxReader(new ByteSource(bytes, "t"))));
                assertTrue(e.getMessage().contains("unknown level binarization scheme 2"), e.getMessage());
            }
        }
        // The same syntax reads and writes: a rank-1 tensor or a model's own (UNIFORM) levels cannot carry scheme 2.
        u.dims = new long[] {32};
        NnzipException e = assertThrows(NnzipException.class, () -> u.syntax(new SyntaxWriter(new ByteSink())));
        assertTrue(e.getMessage().contains("rank >= 2"), e.getMessage());
        u.dims = new long[] {4, 8};
        u.method = TensorUnit.UNIFORM;
        e = assertThrows(NnzipException.class, () -> u.syntax(new SyntaxWriter(new ByteSink())));
        assertTrue(e.getMessage().contains("rank >= 2"), e.getMessage());
    }
}
