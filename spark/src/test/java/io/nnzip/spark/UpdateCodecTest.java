package io.nnzip.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The exchange codecs against hand-computed bounds: sizes, per-element error, and conservation under error feedback. */
class UpdateCodecTest {
    private static float[] gaussian(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (scale * (r.nextDouble() * 2 - 1) * (r.nextDouble() < 0.1 ? 20 : 1));
        return x;
    }

    @Test
    void int8IsAQuarterOfFloatAndWithinHalfAStepPerBlock() {
        int n = 10_000;
        float[] x = gaussian(n, 1, 1e-3);
        UpdateCodec c = new UpdateCodec("int8", n);
        byte[] msg = c.encode(x);
        // 5-byte header, one float scale per 256 values, one byte per value
        assertEquals(5 + 4 * ((n + 255) / 256) + n, msg.length);
        assertTrue(msg.length <= 0.27 * UpdateCodec.floatBytes(n));
        float[] got = new float[n];
        UpdateCodec.addDecoded(msg, got, 1f);
        for (int b = 0; b < n; b += 256) {
            float max = 0;
            for (int i = b; i < Math.min(n, b + 256); i++) max = Math.max(max, Math.abs(x[i]));
            for (int i = b; i < Math.min(n, b + 256); i++) assertTrue(Math.abs(got[i] - x[i]) <= max / 127 / 2 * 1.0001f, "element " + i);
        }
    }

    @Test
    void thresholdSendsAboutOnePercentAndErrorFeedbackLosesNothing() {
        int n = 20_000, rounds = 30;
        UpdateCodec c = new UpdateCodec("threshold", n);
        double[] sentTotal = new double[n], updateTotal = new double[n];
        long bytes = 0;
        for (int r = 0; r < rounds; r++) {
            float[] u = gaussian(n, 10 + r, 1e-3);
            for (int i = 0; i < n; i++) updateTotal[i] += u[i];
            byte[] msg = c.encode(u);
            bytes += msg.length;
            float[] got = new float[n];
            UpdateCodec.addDecoded(msg, got, 1f);
            for (int i = 0; i < n; i++) sentTotal[i] += got[i];
        }
        assertTrue(bytes <= 0.05 * rounds * UpdateCodec.floatBytes(n), "bytes " + bytes);
        // what was sent plus what the sender still holds is exactly what it was given (float rounding aside)
        float[] residual = residualOf(c, n);
        for (int i = 0; i < n; i++) assertEquals(updateTotal[i], sentTotal[i] + residual[i], 1e-5, "element " + i);
    }

    @Test
    void thresholdCarriesMarkedEntriesExactlyAndKeepsNoResidualForThem() {
        int n = 5_000, rounds = 5;
        boolean[] exact = new boolean[n];
        for (int i = 1000; i < 1100; i++) exact[i] = true; // two ranges, as BatchNormalization statistics after weights
        for (int i = n - 40; i < n; i++) exact[i] = true;
        UpdateCodec c = new UpdateCodec("threshold", n, exact);
        double[] sentTotal = new double[n], updateTotal = new double[n];
        for (int r = 0; r < rounds; r++) {
            float[] u = gaussian(n, 40 + r, 1e-3);
            for (int i = 1000; i < 1100; i++) u[i] = 1e-7f * (i - 1050); // far below any τ of the rest
            for (int i = 0; i < n; i++) updateTotal[i] += u[i];
            byte[] msg = c.encode(u);
            float[] got = new float[n];
            UpdateCodec.addDecoded(msg, got, 1f);
            for (int i = 0; i < n; i++) {
                if (exact[i]) assertEquals(u[i], got[i], 0f, "exact entry " + i + " in round " + r);
                sentTotal[i] += got[i];
            }
            // about 1 % of the other entries: at most 2 bytes for the gap·2 + sign (gaps < 8192), 1 for the magnitude;
            // plus 8 bytes and 4 per value for each exact range
            assertTrue(msg.length <= 13 + 3 * (0.02 * n) + 2 * 8 + 4 * 140, "bytes " + msg.length);
        }
        float[] residual = residualOf(c, n);
        for (int i = 0; i < n; i++) {
            if (exact[i]) assertEquals(0f, residual[i], 0f, "residual of exact entry " + i);
            assertEquals(updateTotal[i], sentTotal[i] + residual[i], 1e-5, "element " + i);
        }
    }

    @Test
    void thresholdEntriesCarryTheirValueWithinTwoPercentAndTheRestStaysBehind() {
        int n = 50_000;
        float[] x = gaussian(n, 5, 1e-3);
        UpdateCodec c = new UpdateCodec("threshold", n, null, 0.05);
        byte[] msg = c.encode(x);
        float[] got = new float[n];
        UpdateCodec.addDecoded(msg, got, 1f);
        float[] residual = residualOf(c, n);
        int sent = 0;
        float smallestSent = Float.MAX_VALUE, largestKept = 0;
        for (int i = 0; i < n; i++) {
            if (got[i] != 0) {
                sent++;
                smallestSent = Math.min(smallestSent, Math.abs(x[i]));
                // 16 levels per octave: the nearest is within 2^(1/32) - 1 = 2.2 % of the value, with its sign
                assertEquals(x[i], got[i], Math.abs(x[i]) * 0.0219f, "element " + i);
            } else largestKept = Math.max(largestKept, Math.abs(x[i]));
            assertEquals(x[i], got[i] + residual[i], 1e-9, "element " + i);
        }
        assertTrue(smallestSent >= largestKept, "a kept entry " + largestKept + " above a sent one " + smallestSent);
        // the threshold comes from a strided sample: about 5 %, not exactly
        assertTrue(sent >= 0.04 * n && sent <= 0.06 * n, "sent " + sent);
        // gaps average 20, so almost every entry is 1 varint byte + 1 magnitude byte
        assertTrue(msg.length <= 13 + 2.05 * sent, "bytes " + msg.length + " for " + sent + " entries");
    }

    @Test
    void forwardedThresholdStaysUnderTheBarForTwoWorkers() {
        // each of two workers sends d·n entries up, and both receive the bundle: 3 messages of float32's 4 (2 up, 2 down)
        int n = 100_000;
        double d = UpdateCodec.density(2);
        byte[] a = new UpdateCodec("threshold", n, null, d).encode(gaussian(n, 11, 1e-3));
        byte[] b = new UpdateCodec("threshold", n, null, d).encode(gaussian(n, 12, 1e-3));
        long bytes = a.length + b.length + 2L * UpdateCodec.forward(java.util.List.of(a, b)).length;
        assertTrue(bytes <= 0.05 * 4 * UpdateCodec.floatBytes(n), "ratio " + bytes / (4.0 * UpdateCodec.floatBytes(n)));
    }

    @Test
    void aForwardedBundleDecodesToTheMeanOfItsMessages() {
        int n = 3_000;
        byte[] a = new UpdateCodec("threshold", n).encode(gaussian(n, 7, 1e-3));
        byte[] b = new UpdateCodec("threshold", n).encode(gaussian(n, 8, 1e-3));
        float[] da = new float[n], db = new float[n], got = new float[n];
        UpdateCodec.addDecoded(a, da, 1f);
        UpdateCodec.addDecoded(b, db, 1f);
        UpdateCodec.addDecoded(UpdateCodec.forward(java.util.List.of(a, b)), got, 1f);
        for (int i = 0; i < n; i++) assertEquals((da[i] + db[i]) / 2, got[i], 1e-9f, "element " + i);
    }

    @Test
    void floatIsExact() {
        float[] x = gaussian(1000, 3, 1);
        byte[] msg = new UpdateCodec("float", x.length).encode(x);
        float[] got = new float[x.length];
        UpdateCodec.addDecoded(msg, got, 1f);
        assertArrayEquals(x, got);
    }

    /** The residual, read by encoding a zero update through the float path of a twin: encode(0) sends residual exactly for float. */
    private static float[] residualOf(UpdateCodec c, int n) {
        try {
            java.lang.reflect.Field f = UpdateCodec.class.getDeclaredField("residual");
            f.setAccessible(true);
            return (float[]) f.get(c);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
