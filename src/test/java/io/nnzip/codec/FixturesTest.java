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
import io.nnzip.codec.format.NnzReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Streams written by every format version (checked in) must keep decoding to what they encoded. */
class FixturesTest {
    private static final Path ROOT = Path.of("src/test/resources/codec");
    private static final CodecOptions LOSSY = CodecOptions.ofQp(-8);

    private static byte[] read(String version, String n) throws Exception { return Files.readAllBytes(ROOT.resolve(version).resolve(n)); }

    @ParameterizedTest
    @ValueSource(strings = {"v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"})
    void fixturesCarryTheirFormatVersion(String v) throws Exception {
        for (String f : new String[] {"lossless.nnz", "lossy-qp-8.nnz", "update-qp-8.nnz", "bundle-qp-8.nnz"})
            assertEquals(Integer.parseInt(v.substring(1)), new NnzReader(read(v, f), f).version(), v + "/" + f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"})
    void losslessFixtureDecodesBitExact(String v) throws Exception {
        Path dir = ROOT.resolve(v);
        Model base = OnnxReader.read(dir.resolve("base.onnx"));
        assertArrayEquals(OnnxWriter.toBytes(base), OnnxWriter.toBytes(NnzCodec.decode(read(v, "lossless.nnz"))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"})
    void lossyUpdateAndBundleFixturesDecodeWithinTheStep(String v) throws Exception {
        Path dir = ROOT.resolve(v);
        Model base = OnnxReader.read(dir.resolve("base.onnx"));
        StepAssertions.assertWithinStep(base, NnzCodec.decode(read(v, "lossy-qp-8.nnz")), LOSSY);
        StepAssertions.assertWithinStep(OnnxReader.read(dir.resolve("next.onnx")), NnzCodec.patch(base, read(v, "update-qp-8.nnz")), LOSSY);
        LinkedHashMap<String, Model> b = NnzCodec.unpack(read(v, "bundle-qp-8.nnz"));
        StepAssertions.assertWithinStep(base, b.get("base.onnx"), LOSSY);
        StepAssertions.assertWithinStep(OnnxReader.read(dir.resolve("child.onnx")), b.get("child.onnx"), LOSSY);
    }

    @Test
    void theVersion4FixtureHoldsAnIntSymbolsTensor() throws Exception {
        @SuppressWarnings("unchecked")
        java.util.List<java.util.Map<String, Object>> units = (java.util.List<java.util.Map<String, Object>>) NnzInspector.inspect(read("v4", "lossless.nnz"), "v4").get("units");
        assertEquals(1, units.stream().filter(u -> "int-symbols".equals(u.get("method"))).count());
    }

    @Test
    void theVersion5FixtureHoldsADependentlyQuantizedTensorThatDecodesWithinTheStep() throws Exception {
        byte[] b = read("v5", "wide-qp-14.nnz");
        @SuppressWarnings("unchecked")
        java.util.List<java.util.Map<String, Object>> units = (java.util.List<java.util.Map<String, Object>>) NnzInspector.inspect(b, "v5").get("units");
        assertEquals(1, units.stream().filter(u -> "dependent".equals(u.get("quantizer"))).count());
        StepAssertions.assertWithinStep(OnnxReader.read(ROOT.resolve("v5").resolve("wide.onnx")), NnzCodec.decode(b), CodecOptions.ofQp(-14));
    }

    @Test
    void theVersion6FixtureSkipsTheRowsThatDidNotMove() throws Exception {
        byte[] b = read("v6", "rows-update-qp-8.nnz");
        @SuppressWarnings("unchecked")
        java.util.List<java.util.Map<String, Object>> units = (java.util.List<java.util.Map<String, Object>>) NnzInspector.inspect(b, "v6").get("units");
        // fc1.weight (8 rows): the writer moved rows 0..2 only.
        assertEquals(java.util.List.of(3), units.stream().filter(u -> u.containsKey("rows_kept")).map(u -> ((Number) u.get("rows_kept")).intValue()).toList());
        Model received = NnzCodec.decode(read("v6", "lossy-qp-8.nnz"));
        Model rows = OnnxReader.read(ROOT.resolve("v6").resolve("rows.onnx"));
        Model patched = NnzCodec.patch(received, b);
        StepAssertions.assertWithinStep(rows, patched, LOSSY);
        float[] p = patched.graph().initializer("fc1.weight").floats(), r = received.graph().initializer("fc1.weight").floats();
        for (int i = p.length * 3 / 8; i < p.length; i++) assertEquals(Float.floatToRawIntBits(r[i]), Float.floatToRawIntBits(p[i]), "fc1.weight[" + i + "]");
    }

    @Test
    void theVersion7FixtureCodesTheColumnsThatMovedWithLevelScheme2() throws Exception {
        byte[] b = read("v7", "columns-update-qp-8.nnz");
        @SuppressWarnings("unchecked")
        java.util.List<java.util.Map<String, Object>> units = (java.util.List<java.util.Map<String, Object>>) NnzInspector.inspect(b, "v7").get("units");
        assertEquals(java.util.List.of("fc1.weight"), units.stream().filter(u -> "rice-columns".equals(u.get("binarization"))).map(u -> u.get("name")).toList());
        Model received = OnnxReader.read(ROOT.resolve("v7").resolve("columns-received.onnx"));
        Model cols = OnnxReader.read(ROOT.resolve("v7").resolve("columns.onnx"));
        Model patched = NnzCodec.patch(received, b);
        StepAssertions.assertWithinStep(cols, patched, LOSSY);
        // The writer moved only the inputs i with i mod 8 = 5 (rows of 196); every other weight keeps the receiver's bits.
        float[] p = patched.graph().initializer("fc1.weight").floats(), r = received.graph().initializer("fc1.weight").floats();
        int moved = 0;
        for (int i = 0; i < p.length; i++)
            if ((i % 196) % 8 != 5) assertEquals(Float.floatToRawIntBits(r[i]), Float.floatToRawIntBits(p[i]), "fc1.weight[" + i + "]");
            else if (p[i] != r[i]) moved++;
        assertEquals(true, moved > 100, moved + " moved");
    }

    /**
     * Version 8: the Reshape's int64 shape constant is named in the directory but kept in the topology's proto (no
     * tensor unit); every float tensor of the lossless stream uses the median-relative exponent code and still
     * decodes bit for bit (losslessFixtureDecodesBitExact); the same model's version-7 stream is larger.
     */
    @Test
    void theVersion8FixtureKeepsTheShapeConstantInTheTopology() throws Exception {
        byte[] b = read("v8", "lossless.nnz");
        @SuppressWarnings("unchecked")
        java.util.List<java.util.Map<String, Object>> units = (java.util.List<java.util.Map<String, Object>>) NnzInspector.inspect(b, "v8").get("units");
        Model base = OnnxReader.read(ROOT.resolve("v8").resolve("base.onnx"));
        assertEquals(base.graph().initializers().size(), ((Number) units.get(0).get("tensors")).intValue(), "directory names every initializer");
        assertEquals(base.graph().initializers().size() - 1, units.size() - 1, "one tensor unit per initializer but the shape constant");
        assertEquals(true, units.stream().noneMatch(u -> "flat_shape".equals(u.get("name"))));
        assertEquals(true, b.length < read("v7", "lossless.nnz").length, b.length + " bytes vs version 7's " + read("v7", "lossless.nnz").length);
    }

    @Test
    void aCorruptedFixtureIsReportedAsCorrupt() throws Exception {
        byte[] b = read("v1", "lossy-qp-8.nnz");
        b[b.length - 20] ^= 1;
        NnzFormatException e = assertThrows(NnzFormatException.class, () -> NnzCodec.decode(b));
        assertEquals(NnzFormatException.Kind.CORRUPT, e.kind());
    }
}
