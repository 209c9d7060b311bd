package io.nnzip.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nnzip.codec.format.NnzFormatException;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;

/** Streams written by format version 1 (checked in) must keep decoding to what they encoded. */
class V1FixturesTest {
    private static final Path DIR = Path.of("src/test/resources/codec/v1");
    private static final CodecOptions LOSSY = CodecOptions.ofQp(-8);

    private static byte[] read(String n) throws Exception { return Files.readAllBytes(DIR.resolve(n)); }

    @Test
    void losslessFixtureDecodesBitExact() throws Exception {
        Model base = OnnxReader.read(DIR.resolve("base.onnx"));
        assertArrayEquals(OnnxWriter.toBytes(base), OnnxWriter.toBytes(NnzCodec.decode(read("lossless.nnz"))));
    }

    @Test
    void lossyUpdateAndBundleFixturesDecodeWithinTheStep() throws Exception {
        Model base = OnnxReader.read(DIR.resolve("base.onnx"));
        StepAssertions.assertWithinStep(base, NnzCodec.decode(read("lossy-qp-8.nnz")), LOSSY);
        StepAssertions.assertWithinStep(OnnxReader.read(DIR.resolve("next.onnx")), NnzCodec.patch(base, read("update-qp-8.nnz")), LOSSY);
        LinkedHashMap<String, Model> b = NnzCodec.unpack(read("bundle-qp-8.nnz"));
        StepAssertions.assertWithinStep(base, b.get("base.onnx"), LOSSY);
        StepAssertions.assertWithinStep(OnnxReader.read(DIR.resolve("child.onnx")), b.get("child.onnx"), LOSSY);
    }

    @Test
    void aCorruptedFixtureIsReportedAsCorrupt() throws Exception {
        byte[] b = read("lossy-qp-8.nnz");
        b[b.length - 20] ^= 1;
        NnzFormatException e = assertThrows(NnzFormatException.class, () -> NnzCodec.decode(b));
        assertEquals(NnzFormatException.Kind.CORRUPT, e.kind());
    }
}
