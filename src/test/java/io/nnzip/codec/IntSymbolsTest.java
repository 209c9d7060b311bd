package io.nnzip.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.bits.ByteSource;
import io.nnzip.codec.syntax.SyntaxReader;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.TensorProtos;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Small-alphabet integer tensors (k-means indices, masks): coded as symbol ranks when cheaper, always bit-exact. */
class IntSymbolsTest {
    private static final TensorCodec.Policy LOSSLESS = new TensorCodec.Policy(false, 0, -1, 0);

    // Writes the unit, parses it back as a version-4 reader would, and decodes it.
    private static TensorUnit roundTrip(Tensor t) {
        TensorUnit u = TensorCodec.encode(0, "t", t, LOSSLESS, null);
        byte[] payload = ModelEncoder.payload(u::syntax);
        TensorUnit back = new TensorUnit();
        back.formatVersion = 4;
        back.syntax(new SyntaxReader(new ByteSource(payload, "t")));
        Tensor d = TensorCodec.decode(back, null);
        assertEquals(t.dtype(), d.dtype());
        assertArrayEquals(t.shape(), d.shape());
        assertArrayEquals(TensorProtos.toRaw(t), TensorProtos.toRaw(d), "tensor differs after " + TensorUnit.methodName(u.method));
        return u;
    }

    private static double entropyBits(Tensor t) {
        Map<Long, Integer> c = new HashMap<>();
        for (int i = 0; i < t.size(); i++) c.merge(t.getLong(i), 1, Integer::sum);
        double h = 0, n = t.size();
        for (int k : c.values()) h -= k * Math.log(k / n) / Math.log(2);
        return h;
    }

    @Test
    void prunedIndexTensorCodesWithinOnePercentOfItsOrderZeroEntropy() {
        // Like fc0 of a pruned 784-300 MLP after weight sharing, laid out (input, output): the inputs near the image
        // border are dead (their rows all pinned zero), the rest keep ~12 % of their weights.
        Random r = new Random(1);
        byte[] idx = new byte[784 * 300];
        for (int in = 0; in < 784; in++) {
            int y = in / 28, x = in % 28;
            boolean dead = y < 3 || y > 24 || x < 3 || x > 24;
            if (!dead) System.arraycopy(SyntheticModels.bimodalIndices(r, 300, 0.88), 0, idx, in * 300, 300);
        }
        Tensor t = new Tensor(DType.UINT8, new int[] {784, 300}, idx);
        TensorUnit u = roundTrip(t);
        assertEquals(TensorUnit.INT_SYMBOLS, u.method);
        double ratio = u.codedBytes() * 8.0 / entropyBits(t);
        assertTrue(ratio <= 1.01, "code / H0 = " + ratio);
    }

    @Test
    void independentRanksCodeCloseToTheirOrderZeroEntropy() {
        // Without any structure to exploit, the adaptive models' estimation noise costs about 1 %.
        Random r = new Random(1);
        for (double zeros : new double[] {0.92, 0.6, 0.0}) {
            Tensor t = new Tensor(DType.UINT8, new int[] {300, 784}, SyntheticModels.bimodalIndices(r, 300 * 784, zeros));
            TensorUnit u = roundTrip(t);
            assertEquals(TensorUnit.INT_SYMBOLS, u.method, "zeros " + zeros);
            double ratio = u.codedBytes() * 8.0 / entropyBits(t);
            assertTrue(ratio <= 1.015, "zeros " + zeros + ": code / H0 = " + ratio);
        }
    }

    @Test
    void smallAlphabetsRoundTripBitExact() {
        Random r = new Random(2);
        roundTrip(new Tensor(DType.UINT8, new int[] {50, 20}, SyntheticModels.bimodalIndices(r, 1000, 0.92)));
        byte[] same = new byte[3000];
        java.util.Arrays.fill(same, (byte) 7);
        roundTrip(new Tensor(DType.UINT8, new int[] {3000}, same));
        byte[] all = new byte[5000];
        r.nextBytes(all);
        for (int v = 0; v < 256; v++) all[v] = (byte) v;
        roundTrip(new Tensor(DType.UINT8, new int[] {5000}, all));
        roundTrip(new Tensor(DType.INT8, new int[] {5000}, all));
        roundTrip(new Tensor(DType.UINT8, new int[] {0, 4}, new byte[0]));
        long[] wide = new long[4000];
        long[] alphabet = {Long.MIN_VALUE, -3, 1L << 40, Long.MAX_VALUE, 0};
        for (int i = 0; i < wide.length; i++) wide[i] = alphabet[r.nextInt(alphabet.length)];
        roundTrip(new Tensor(DType.INT64, new int[] {4000}, wide));
        int[] ints = new int[4000];
        for (int i = 0; i < ints.length; i++) ints[i] = r.nextInt(10) < 8 ? -1 : 1000 + r.nextInt(3);
        roundTrip(new Tensor(DType.INT32, new int[] {40, 100}, ints));
        byte[] mask = new byte[3000];
        for (int i = 0; i < mask.length; i++) mask[i] = (byte) (r.nextInt(4) == 0 ? 1 : 0);
        roundTrip(new Tensor(DType.BOOL, new int[] {3000}, mask));
    }

    @Test
    void levelsPeakedAtZeroAndLargeAlphabetsKeepIntLevels() {
        Random r = new Random(3);
        long[] many = new long[2000];
        for (int i = 0; i < many.length; i++) many[i] = r.nextInt(100000);
        assertEquals(TensorUnit.INT_LEVELS, roundTrip(new Tensor(DType.INT64, new int[] {2000}, many)).method);
        roundTrip(new Tensor(DType.INT64, new int[] {4}, new long[] {1, 3, 224, 224}));
    }

    @Test
    void aRankBeyondTheTableIsRejected() {
        TensorUnit u = TensorCodec.encode(0, "t", new Tensor(DType.UINT8, new int[] {1000}, SyntheticModels.bimodalIndices(new Random(4), 1000, 0.5)), LOSSLESS, null);
        assertEquals(TensorUnit.INT_SYMBOLS, u.method);
        assertEquals(16, u.symbols.length);
        u.symbols = java.util.Arrays.copyOf(u.symbols, 15); // same tree depth: the rarest symbol's rank is now out of range
        assertThrows(NnzipException.class, () -> TensorCodec.decode(u, null));
    }

    @Test
    void aVersion3StreamCannotCarryIntSymbols() {
        TensorUnit u = TensorCodec.encode(0, "t", new Tensor(DType.UINT8, new int[] {1000}, SyntheticModels.bimodalIndices(new Random(5), 1000, 0.5)), LOSSLESS, null);
        byte[] payload = ModelEncoder.payload(u::syntax);
        TensorUnit back = new TensorUnit();
        back.formatVersion = 3;
        assertThrows(NnzipException.class, () -> back.syntax(new SyntaxReader(new ByteSource(payload, "t"))));
    }
}
