package io.nnzip.numpy;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads files NumPy itself wrote (fixtures) and checks our writer's output reads back and matches NumPy's bytes. */
class NpyTest {
    static Path fixture(String name) throws Exception {
        return Path.of(NpyTest.class.getResource("/numpy/" + name).toURI());
    }

    @Test
    void readsNumpyWrittenArrays() throws Exception {
        Tensor a = Npy.read(fixture("f32_2x3x4.npy"));
        assertArrayEquals(new int[] {2, 3, 4}, a.shape());
        for (int i = 0; i < 24; i++) assertEquals(i / 7f, a.floats()[i], 0f);
        assertArrayEquals(new long[] {1, -2, 3, 1L << 40, -7}, Npy.read(fixture("i64_5.npy")).longs());
        Tensor u8 = Npy.read(fixture("u8_2x2.npy"));
        assertEquals(DType.UINT8, u8.dtype());
        assertEquals(255, u8.getLong(1));
        assertArrayEquals(new byte[] {1, 0, 1}, Npy.read(fixture("bool_3.npy")).bytes());
        Tensor s = Npy.read(fixture("f64_scalar.npy"));
        assertEquals(0, s.rank());
        assertEquals(3.25, s.doubles()[0]);
        Tensor h = Npy.read(fixture("f16_4.npy"));
        assertEquals(65504.0, h.getDouble(2));
        assertEquals(-2.0, h.getDouble(1));
    }

    @Test
    void readsNpzStoredAndDeflated() throws Exception {
        for (String f : new String[] {"pair.npz", "pair_compressed.npz"}) {
            Map<String, Tensor> m = Npy.readNpz(fixture(f));
            assertEquals(java.util.List.of("x", "y"), java.util.List.copyOf(m.keySet()));
            assertArrayEquals(new int[] {1, 2, 3, 4}, m.get("y").ints());
        }
    }

    @Test
    void writerMatchesNumpyBytes() throws Exception {
        Tensor a = Npy.read(fixture("f32_2x3x4.npy"));
        assertArrayEquals(Files.readAllBytes(fixture("f32_2x3x4.npy")), Npy.toBytes(a));
        Tensor i = Npy.read(fixture("i64_5.npy"));
        assertArrayEquals(Files.readAllBytes(fixture("i64_5.npy")), Npy.toBytes(i));
    }

    @Test
    void npzRoundTrip(@TempDir Path dir) throws Exception {
        Map<String, Tensor> m = new LinkedHashMap<>(Npy.readNpz(fixture("pair.npz")));
        Path out = dir.resolve("o.npz");
        Npy.writeNpz(out, m);
        assertEquals(m, Npy.readNpz(out));
    }

    @Test
    void rejectsBadInput(@TempDir Path dir) throws Exception {
        NnzipException e = assertThrows(NnzipException.class, () -> Npy.read(fixture("fortran.npy")));
        assertTrue(e.getMessage().contains("Fortran"), e.getMessage());
        byte[] full = Files.readAllBytes(fixture("f32_2x3x4.npy"));
        Path trunc = dir.resolve("t.npy");
        Files.write(trunc, java.util.Arrays.copyOf(full, full.length - 5));
        assertTrue(assertThrows(NnzipException.class, () -> Npy.read(trunc)).getMessage().contains("truncated"));
        Path junk = dir.resolve("j.npy");
        Files.writeString(junk, "hello world, not numpy");
        assertTrue(assertThrows(NnzipException.class, () -> Npy.read(junk)).getMessage().contains("not a .npy"));
    }
}
