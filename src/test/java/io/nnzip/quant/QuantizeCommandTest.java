package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.cli.Main;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.util.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quantize command end to end: output written, recipe recorded in metadata, ORT loads it; bad input fails cleanly. */
class QuantizeCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesModelsThatRecordTheirRecipe() {
        Path in = dir.resolve("cnn.onnx");
        AtomicFiles.write(in, OnnxWriter.toBytes(FashionCnnFixture.exported(2)));
        for (String scheme : new String[] {"int8", "int4", "kmeans:4", "ternary"}) {
            Path out = dir.resolve(scheme.replace(':', '_') + ".onnx");
            int rc = Main.run("quantize", in.toString(), "--scheme", scheme, "--calib-size", "64", "--eval-size", "64",
                    "--latency-batch", "0", "--json", "-o", out.toString());
            assertEquals(0, rc, scheme);
            Model q = OnnxReader.read(out);
            String recipe = q.metadata().get("nnzip.quantize");
            assertTrue(recipe != null && recipe.contains("\"scheme\":\"" + scheme + "\""), recipe);
            assertTrue(recipe.contains("\"tool\":\"nnzip "), recipe);
            try (OrtRunner r = new OrtRunner(q, 1)) {
                assertEquals(1, r.outputNames().size());
            }
        }
    }

    /** --qat on int8 trains with fake-quantized activations and records the trained ranges' recipe. */
    @Test
    void int8QatRunsThroughTheCommand() {
        Path in = dir.resolve("cnn.onnx");
        AtomicFiles.write(in, OnnxWriter.toBytes(FashionCnnFixture.exported(2)));
        Path out = dir.resolve("qat.onnx");
        int rc = Main.run("quantize", in.toString(), "--scheme", "int8", "--qat", "1", "--qat-ranges", "ema", "--data", "fashion-mnist",
                "--train-limit", "128", "--calib-size", "64", "--eval-size", "64", "--latency-batch", "0", "--json", "-o", out.toString());
        assertEquals(0, rc);
        String recipe = OnnxReader.read(out).metadata().get("nnzip.quantize");
        assertTrue(recipe.contains("\"qat\":1") && recipe.contains("\"qat_ranges\":\"ema\""), recipe);
        Path bad = dir.resolve("bad.onnx");
        assertNotEquals(0, Main.run("quantize", in.toString(), "--qat", "1", "--qat-ranges", "minmax", "--data", "fashion-mnist", "--train-limit", "64",
                "--calib-size", "16", "--latency-batch", "0", "-o", bad.toString()));
        assertTrue(!Files.exists(bad));
    }

    @Test
    void rejectsUnknownSchemesWithoutWriting() {
        Path in = dir.resolve("cnn.onnx");
        AtomicFiles.write(in, OnnxWriter.toBytes(FashionCnnFixture.random(1)));
        Path out = dir.resolve("never.onnx");
        assertEquals(2, Main.run("quantize", in.toString(), "--scheme", "int3", "-o", out.toString()));
        assertTrue(!Files.exists(out));
        assertEquals(2, Main.run("quantize", in.toString(), "--calibration", "percentile:abc", "--calib-size", "16", "--latency-batch", "0", "-o", out.toString()));
        assertTrue(!Files.exists(out));
    }
}
