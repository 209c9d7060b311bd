package io.nnzip.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code encode --max-drop} with its trials on Spark (the command's own local[2] context) against the single-process run. */
class MaxDropOnSparkTest {
    static JsonNode encode(Path out, String spark) throws Exception {
        List<String> args = new ArrayList<>(List.of("encode", "../src/test/resources/pytorch/cnn_op13.onnx", "-o", out.toString(), "--max-drop", "1",
                "--data", "fashion-mnist", "--val-images", "300", "--limit", "100", "--threads", "2", "--json"));
        if (spark != null) args.addAll(List.of("--spark", spark));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        try {
            assertEquals(0, io.nnzip.cli.Main.run(args.toArray(String[]::new)));
        } finally {
            System.setOut(old);
        }
        return new ObjectMapper().readTree(buf.toString());
    }

    @Test
    void theSearchOnSparkChoosesTheSingleProcessStepsAndWritesTheSameStream(@TempDir Path dir) throws Exception {
        JsonNode here = encode(dir.resolve("a.nnz"), null), there = encode(dir.resolve("b.nnz"), "local[2]");
        assertEquals(here.get("qp_per_tensor"), there.get("qp_per_tensor"));
        assertEquals(here.get("max_drop_evaluations"), there.get("max_drop_evaluations"));
        assertEquals(here.get("validation_accuracy_searched").asDouble(), there.get("validation_accuracy_searched").asDouble(), 0.0);
        assertEquals(here.get("validation_accuracy_decoded").asDouble(), there.get("validation_accuracy_decoded").asDouble(), 0.0);
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("a.nnz")), Files.readAllBytes(dir.resolve("b.nnz"))), "same .nnz bytes");
        JsonNode spark = there.get("spark");
        assertEquals(2, spark.get("slots").asInt());
        int weights = 0;
        for (JsonNode t : spark.get("trials")) {
            assertTrue(t.get("where").asText().startsWith("executor driver"), t.toString());
            if (t.get("trial").asText().startsWith("sensitivity")) weights++;
        }
        // every decision's trial ran on Spark (some ahead of need), in fewer rounds than trials
        int decisions = here.get("max_drop_evaluations").asInt() - 1 - weights;
        assertTrue(spark.get("trials_run").asInt() - weights >= decisions, spark.get("trials_run") + " trials for " + decisions + " decisions");
        assertTrue(spark.get("rounds").asInt() - 1 < decisions, spark.get("rounds") + " rounds for " + decisions + " decisions");
        assertTrue(here.get("spark") == null);
    }
}
