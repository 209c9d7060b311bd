package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --model gpt-tiny}: the causal LM learns the built-in counting task well past what ignoring the context
 * allows (1/3: the step is only visible from two tokens), and ONNX Runtime runs the written graph to the engine's values.
 */
class TrainLanguageModelCommandTest {
    @TempDir Path tmp;

    @Test void gptTinyLearnsToCountAndOrtRunsIt() throws Exception {
        Path out = tmp.resolve("gpt.onnx");
        JsonNode t = TrainEvalCommandTest.run(0, "train", "--model", "gpt-tiny", "--limit", "4000", "--epochs", "1", "--batch", "32", "--lr", "0.003",
                "--threads", "2", "--no-progress", "-o", out.toString(), "--json");
        assertTrue(t.get("val_accuracy").asDouble() > 0.6, t.toString());
        Model m = OnnxReader.read(out);
        long[] ids = new long[3 * 8];
        for (int i = 0; i < ids.length; i++) ids[i] = (i / 8 * 5 + (i % 8) * (1 + i / 8)) % 16;
        Map<String, Tensor> feeds = Map.of("ids", new Tensor(DType.INT64, new int[] {3, 8}, ids));
        float[] plain = new Executor(m).run(feeds).get("logits").floats(), fused = new Executor(Fusion.forInference(m)).run(feeds).get("logits").floats();
        try (OrtRunner ort = new OrtRunner(out, 2)) {
            float[] want = ort.run(feeds).get("logits").floats();
            double scale = 0;
            for (float f : want) scale = Math.max(scale, Math.abs(f));
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], plain[i], 1e-4 * scale, "logit " + i);
                assertEquals(want[i], fused[i], 1e-4 * scale, "fused logit " + i);
            }
        }
    }
}
