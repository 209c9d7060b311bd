package io.nnzip.codec.format;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.NnzInspector;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import java.util.LinkedHashMap;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Mutated and truncated streams must end in an {@link NnzipException} or a valid model: never a hang, an
 * out-of-memory error or an unchecked exception. Half of the cases get their checksums recomputed after mutation
 * so that garbage reaches the unit decoders; an "undecodable" error must then wrap a clear NnzipException, not a
 * crash inside the decoder.
 */
class DecoderFuzzTest {
    private static final Model BASE = SyntheticModels.withIndexTensor(SyntheticModels.withHalfTensors(SyntheticModels.cnn(1, 2, 4, 8), 2), 3);
    private static final byte[] MODEL_LOSSY = NnzCodec.encode(BASE, CodecOptions.ofQp(-8));
    private static final byte[] MODEL_LOSSLESS = NnzCodec.encode(BASE, CodecOptions.losslessMode());
    private static final byte[] UPDATE = NnzCodec.diff(BASE, SyntheticModels.finetune(BASE, 5, 0.1), CodecOptions.ofQp(-8));
    private static final byte[] BUNDLE;

    static {
        LinkedHashMap<String, Model> ms = new LinkedHashMap<>();
        ms.put("p", BASE);
        ms.put("c", SyntheticModels.finetune(BASE, 6, 0.1));
        BUNDLE = NnzCodec.pack(ms, "p", CodecOptions.ofQp(-8));
    }

    record Mutation(int which, List<int[]> flips, int cut, boolean fixCrc) {}

    @Provide
    Arbitrary<Mutation> mutations() {
        Arbitrary<int[]> flip = Combinators.combine(Arbitraries.integers().between(0, 1 << 20), Arbitraries.integers().between(1, 255))
                .as((p, v) -> new int[] {p, v});
        return Combinators.combine(Arbitraries.integers().between(0, 3), flip.list().ofMinSize(0).ofMaxSize(4),
                Arbitraries.integers().between(0, 1 << 20), Arbitraries.of(true, false)).as(Mutation::new);
    }

    @Property(tries = 1000)
    void mutatedStreamsFailCleanly(@ForAll("mutations") Mutation m) {
        byte[] src = switch (m.which()) {
            case 0 -> MODEL_LOSSY;
            case 1 -> MODEL_LOSSLESS;
            case 2 -> UPDATE;
            default -> BUNDLE;
        };
        byte[] b = src.clone();
        for (int[] f : m.flips()) b[f[0] % b.length] ^= (byte) f[1];
        if (m.cut() % 3 == 0) b = java.util.Arrays.copyOf(b, m.cut() % b.length);
        if (m.fixCrc()) b = CrcFixer.fix(b);
        byte[] in = b;
        try {
            switch (m.which()) {
                case 0, 1 -> NnzCodec.decode(in);
                case 2 -> NnzCodec.patch(BASE, in);
                default -> NnzCodec.unpack(in);
            }
        } catch (NnzFormatException e) {
            if (e.kind() == NnzFormatException.Kind.UNDECODABLE && e.getCause() != null)
                assertTrue(e.getCause() instanceof NnzipException, "decoder crashed inside a unit: " + e.getCause());
        } catch (NnzipException e) {
            // a clear, user-facing error
        } catch (Throwable t) {
            fail("unclear failure: " + t, t);
        }
        try {
            NnzInspector.inspect(in, "fuzz");
        } catch (NnzFormatException e) {
            if (e.kind() == NnzFormatException.Kind.UNDECODABLE && e.getCause() != null)
                assertTrue(e.getCause() instanceof NnzipException, "inspector crashed inside a unit: " + e.getCause());
        } catch (NnzipException e) {
            // fine
        } catch (Throwable t) {
            fail("unclear failure in inspect: " + t, t);
        }
    }
}
