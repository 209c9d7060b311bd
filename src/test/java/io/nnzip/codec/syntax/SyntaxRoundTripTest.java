package io.nnzip.codec.syntax;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nnzip.codec.TensorUnit;
import io.nnzip.codec.bits.ByteSink;
import io.nnzip.codec.bits.ByteSource;
import io.nnzip.codec.format.StreamHeader;
import io.nnzip.ir.NnzipException;
import org.junit.jupiter.api.Test;

/** One syntax description, run forwards then backwards, must give back every field. */
class SyntaxRoundTripTest {
    private static byte[] write(java.util.function.Consumer<SyntaxIO> s) {
        ByteSink b = new ByteSink();
        s.accept(new SyntaxWriter(b));
        return b.toByteArray();
    }

    @Test
    void tensorUnitsOfEveryMethodRoundTrip() {
        for (int method = 0; method <= TensorUnit.FLOAT_REDUCED; method++) {
            TensorUnit u = new TensorUnit();
            u.index = 3;
            u.name = "layer.weight ü";
            u.dtype = 1;
            u.dims = new long[] {4, 5};
            u.method = method;
            u.axis = 0;
            u.steps = new float[] {0.5f, 0.25f, 0.125f, 1e-7f};
            u.rounding = 0.35f;
            u.maxGt = 9;
            u.egk = 2;
            u.medianExponent = 121;
            u.mantissaBits = 9;
            u.codebook = new float[] {-1f, 0f, -0.0f, 2.5f};
            u.zeroIndex = 1;
            u.offset = -128;
            u.coded = new byte[] {1, 2, 3};
            u.scheme = TensorUnit.SCHEME_ZIGZAG;
            u.riceK = 3;
            u.sliceElements = 7;
            u.slices = new byte[][] {{1, 2}, {3}, {}};
            u.raw = new byte[] {9, 8};
            byte[] bytes = write(u::syntax);
            TensorUnit v = new TensorUnit();
            SyntaxReader r = new SyntaxReader(new ByteSource(bytes, "t"), true);
            v.syntax(r);
            r.source().expectEnd();
            assertEquals(u.name, v.name);
            assertArrayEquals(u.dims, v.dims);
            assertEquals(method, v.method);
            assertArrayEquals(write(u::syntax), write(v::syntax), "method " + method);
            assertEquals(u.name, r.trace().get("name"));
        }
    }

    @Test
    void headerRoundTripsAndForgedCountsAreRejected() {
        StreamHeader h = new StreamHeader(2, "0.1.0", "qp=-16;qp[a\\;b]=3", new byte[32]);
        StreamHeader g = new StreamHeader();
        g.syntax(new SyntaxReader(new ByteSource(write(h::syntax), "h")));
        assertEquals(h.recipe, g.recipe);
        assertEquals(32, g.baseHash.length);

        TensorUnit u = new TensorUnit();
        u.method = TensorUnit.UNIFORM;
        u.steps = new float[] {1f};
        byte[] b = write(u::syntax);
        // step_count claims 2^20 floats in a unit of a few bytes: refused before allocation.
        ByteSink forged = new ByteSink();
        forged.bytes(b, 0, 5);
        forged.svar(-1);
        forged.uvar(1 << 20);
        NnzipException e = assertThrows(NnzipException.class, () -> new TensorUnit().syntax(new SyntaxReader(new ByteSource(forged.toByteArray(), "f"))));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("step count"), e.getMessage());
    }
}
