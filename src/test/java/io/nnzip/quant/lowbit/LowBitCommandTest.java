package io.nnzip.quant.lowbit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.cli.Main;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.quant.FashionCnnFixture;
import io.nnzip.util.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bitsplit / stt / onehot through the quantize command: written, recipe recorded, ORT loads it; bad values fail without writing. */
class LowBitCommandTest {
    @TempDir
    Path dir;

    @Test
    void schemesWriteFilesThatRecordTheirRecipe() {
        Path in = dir.resolve("cnn.onnx");
        AtomicFiles.write(in, OnnxWriter.toBytes(FashionCnnFixture.exported(2)));
        for (String scheme : new String[] {"bitsplit:4", "stt", "onehot:3"}) {
            Path out = dir.resolve(scheme.replace(':', '_') + ".onnx");
            int rc = Main.run("quantize", in.toString(), "--scheme", scheme, "--qat", scheme.startsWith("bitsplit") ? "0" : "1", "--data", "fashion-mnist",
                    "--limit", "128", "--calib-images", "32", "--eval-data", "fashion-mnist", "--eval-size", "64", "--latency-batch", "0", "--json", "-o", out.toString());
            assertEquals(0, rc, scheme);
            Model q = OnnxReader.read(out);
            String recipe = q.metadata().get("nnzip.quantize");
            assertTrue(recipe != null && recipe.contains("\"scheme\":\"" + scheme + "\""), recipe);
            try (OrtRunner r = new OrtRunner(q, 1)) {
                assertEquals(1, r.outputNames().size());
            }
        }
    }

    @Test
    void rejectsOutOfRangeBitsAndContainers() {
        Path in = dir.resolve("cnn.onnx");
        AtomicFiles.write(in, OnnxWriter.toBytes(FashionCnnFixture.random(1)));
        Path out = dir.resolve("never.onnx");
        for (String[] bad : new String[][] {{"--scheme", "bitsplit:1"}, {"--scheme", "onehot:9"}, {"--scheme", "stt:2"}, {"--scheme", "bitsplit:3", "--container", "nbits"},
                {"--scheme", "onehot:4", "--container", "int4"}}) {
            String[] args = new String[bad.length + 8];
            args[0] = "quantize";
            args[1] = in.toString();
            System.arraycopy(bad, 0, args, 2, bad.length);
            System.arraycopy(new String[] {"--calib-images", "16", "--latency-batch", "0", "-o", out.toString()}, 0, args, 2 + bad.length, 6);
            assertEquals(2, Main.run(args), String.join(" ", bad));
            assertTrue(!Files.exists(out));
        }
    }
}
