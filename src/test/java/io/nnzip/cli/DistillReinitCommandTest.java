package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.nnzip.ir.Model;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** distill --student X.onnx --reinit starts the student from the weights the built-in recipe draws with --seed, not from X's. */
class DistillReinitCommandTest {
    @TempDir Path tmp;

    @Test
    void reinitStartsTheOnnxStudentFromTheRecipesInitializers() throws Exception {
        io.nnzip.testing.TestData.assumeFashion();
        Path student = tmp.resolve("s.onnx"), out = tmp.resolve("d.onnx");
        Files.write(student, OnnxWriter.toBytes(Models.create("mlp", 0.5f, 10, 1)));
        // a learning rate of 1e-9 moves no weight by more than a few 1e-9 (Adam's step is bounded by the rate), so the
        // written weights are the starting ones to 1e-6
        JsonNode j = TrainEvalCommandTest.run(0, "distill", "--teacher", student.toString(), "--student", student.toString(), "--reinit",
                "--data", "fashion-mnist", "--limit", "100", "--epochs", "1", "--batch", "50", "--lr", "1e-9", "--seed", "9",
                "--no-progress", "-o", out.toString(), "--json");
        Model ref = Models.create("mlp", 0.5f, 10, 9), old = Models.create("mlp", 0.5f, 10, 1), got = OnnxReader.read(out);
        assertEquals(ref.graph().initializers().size(), j.get("reinitialized").size(), j.toString());
        for (String n : ref.graph().initializers().keySet()) {
            float[] r = ref.graph().initializer(n).toFloats(), o = old.graph().initializer(n).toFloats(), g = got.graph().initializer(n).toFloats();
            double dr = 0, dold = 0;
            for (int i = 0; i < r.length; i++) {
                dr = Math.max(dr, Math.abs(g[i] - r[i]));
                dold = Math.max(dold, Math.abs(g[i] - o[i]));
            }
            assertTrue(dr < 1e-6, n + " differs from the recipe's draw by " + dr);
            if (n.endsWith("weight")) assertTrue(dold > 1e-3, n + " kept the file's weights");
        }
        assertTrue(got.metadata().get("nnzip.reinit").contains("\"reinit\":\"all\""), got.metadata().toString());
        assertTrue(got.metadata().containsKey("nnzip.distill"), got.metadata().toString());

        CliErrorsTest.assertOneLineError(CliErrorsTest.run("distill", "--teacher", student.toString(), "--student", "mlp", "--reinit",
                "--data", "fashion-mnist", "--limit", "100", "-o", tmp.resolve("e.onnx").toString()), "--reinit", "built-in");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("distill", "--teacher", student.toString(), "--student", student.toString(), "--reinit", "^nothing",
                "--data", "fashion-mnist", "--limit", "100", "-o", tmp.resolve("f.onnx").toString()), "--reinit", "matched no");
        assertFalse(Files.exists(tmp.resolve("e.onnx")) || Files.exists(tmp.resolve("f.onnx")));
    }
}
