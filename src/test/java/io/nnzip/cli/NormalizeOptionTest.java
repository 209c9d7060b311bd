package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PyTorch model trained on normalized input (src/test/resources/pytorch-normalized, mean 0.2860 std 0.3530,
 * no nnzip metadata): prune, quantize and sensitivity given --normalize must report exactly the figures they
 * report when the normalization is recorded in the model's metadata, and different ones without it.
 */
class NormalizeOptionTest {
    static final String NORM = "0.2860,0.3530";
    @TempDir static Path dir;
    static Path plain, recorded;

    @BeforeAll
    static void models() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/usr/share/datasets/fashion-mnist")), "needs dataset-fashion-mnist");
        plain = Path.of("src/test/resources/pytorch-normalized/mlp.onnx");
        Model m = OnnxReader.read(plain);
        assertNull(Normalization.fromMetadata(m), "the fixture records no normalization");
        Normalization.parse(NORM).writeTo(m);
        recorded = dir.resolve("recorded.onnx");
        OnnxWriter.write(m, recorded);
    }

    static JsonNode run(String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--json");
        CliErrorsTest.Outcome o = CliErrorsTest.run(a.toArray(String[]::new));
        assertEquals(0, o.code(), o.err());
        return new ObjectMapper().readTree(o.out());
    }

    @Test
    void pruneAgrees() throws Exception {
        String[] common = {"--data", "fashion-mnist", "--limit", "500", "--amount", "0.5", "--latency-batch", "0"};
        JsonNode given = run(concat(new String[] {"prune", plain.toString(), "--normalize", NORM, "-o", dir.resolve("p1.onnx").toString()}, common));
        JsonNode meta = run(concat(new String[] {"prune", recorded.toString(), "-o", dir.resolve("p2.onnx").toString()}, common));
        JsonNode none = run(concat(new String[] {"prune", plain.toString(), "-o", dir.resolve("p3.onnx").toString()}, common));
        assertEquals(meta.get("before").get("accuracy"), given.get("before").get("accuracy"));
        assertEquals(meta.get("after").get("accuracy"), given.get("after").get("accuracy"));
        assertNotEquals(meta.get("before").get("accuracy"), none.get("before").get("accuracy"), "the normalization matters for this model");
        assertTrue(meta.get("before").get("accuracy").asDouble() > 0.75, meta.toString());
        assertEquals(Normalization.parse(NORM), Normalization.fromMetadata(OnnxReader.read(dir.resolve("p1.onnx"))), "the output records it");
    }

    @Test
    void quantizeAgrees() throws Exception {
        String[] common = {"--scheme", "int8", "--data", "fashion-mnist", "--eval-data", "fashion-mnist", "--eval-size", "500", "--calib-size", "128",
                "--latency-batch", "0"};
        JsonNode given = run(concat(new String[] {"quantize", plain.toString(), "--normalize", NORM, "-o", dir.resolve("q1.onnx").toString()}, common));
        JsonNode meta = run(concat(new String[] {"quantize", recorded.toString(), "-o", dir.resolve("q2.onnx").toString()}, common));
        JsonNode none = run(concat(new String[] {"quantize", plain.toString(), "-o", dir.resolve("q3.onnx").toString()}, common));
        for (String k : new String[] {"float_accuracy", "quantized_accuracy"})
            assertEquals(meta.get("comparison").get(k), given.get("comparison").get(k), k);
        assertNotEquals(meta.get("comparison").get("float_accuracy"), none.get("comparison").get("float_accuracy"));
    }

    @Test
    void sensitivityAgrees() throws Exception {
        String[] common = {"--data", "fashion-mnist", "--limit", "300", "--amounts", "0.5"};
        JsonNode given = run(concat(new String[] {"sensitivity", plain.toString(), "--normalize", NORM}, common));
        JsonNode meta = run(concat(new String[] {"sensitivity", recorded.toString()}, common));
        JsonNode none = run(concat(new String[] {"sensitivity", plain.toString()}, common));
        assertEquals(meta.get("baseline"), given.get("baseline"));
        assertEquals(meta.get("groups"), given.get("groups"));
        assertNotEquals(meta.get("baseline"), none.get("baseline"));
    }

    static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
