package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.nnzip.ir.Model;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train --init X --reinit starts from the weights train --model builds with the same seed, not from X's. */
class TrainReinitCommandTest {
    @TempDir Path tmp;

    @Test
    void reinitStartsFromTheRecipesInitializers() throws Exception {
        io.nnzip.testing.TestData.assumeFashion();
        Path trained = tmp.resolve("a.onnx"), redrawn = tmp.resolve("b.onnx");
        TrainEvalCommandTest.run(0, "train", "--model", "mlp", "--width", "0.5", "--data", "fashion-mnist", "--limit", "300", "--epochs", "1",
                "--batch", "50", "--seed", "1", "--threads", "2", "--no-progress", "-o", trained.toString(), "--json");
        Model ref = Models.create("mlp", 0.5f, 10, 9);
        String lastBias = ref.graph().nodes().getLast().input(2);
        // only the last bias trains, so every other parameter of the output is what the re-draw wrote
        JsonNode j = TrainEvalCommandTest.run(0, "train", "--init", trained.toString(), "--reinit", "--freeze", "^(?!" + java.util.regex.Pattern.quote(lastBias) + "$)",
                "--data", "fashion-mnist", "--limit", "100", "--epochs", "1", "--batch", "50", "--seed", "9", "--threads", "2", "--no-progress",
                "-o", redrawn.toString(), "--json");
        assertEquals(ref.graph().initializers().size(), j.get("reinitialized").size(), j.toString());
        Model a = OnnxReader.read(trained), b = OnnxReader.read(redrawn);
        for (String n : ref.graph().initializers().keySet()) {
            if (n.equals(lastBias)) continue;
            assertArrayEquals(ref.graph().initializer(n).toFloats(), b.graph().initializer(n).toFloats(), n);
            assertFalse(Arrays.equals(ref.graph().initializer(n).toFloats(), a.graph().initializer(n).toFloats()) && n.endsWith("weight"), n);
        }
        assertTrue(b.metadata().get("nnzip.train").contains("\"reinit\":\"all\""), b.metadata().toString());

        TrainEvalCommandTest.run(2, "train", "--init", trained.toString(), "--reinit", "^nothing", "--data", "fashion-mnist", "--limit", "100",
                "--no-progress", "-o", tmp.resolve("c.onnx").toString(), "--json");
        TrainEvalCommandTest.run(2, "train", "--init", trained.toString(), "--reinit", "conv(", "--data", "fashion-mnist", "--limit", "100",
                "--no-progress", "-o", tmp.resolve("d.onnx").toString(), "--json");
        assertFalse(java.nio.file.Files.exists(tmp.resolve("d.onnx")));
    }
}
