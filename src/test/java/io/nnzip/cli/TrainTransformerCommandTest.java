package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.nnzip.engine.Executor;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --init} on ViTs trained and exported by PyTorch (opset 13: LayerNorm decomposed; 17: fused): a short
 * fine-tune keeps the model useful and ONNX Runtime runs the result to the engine's values.
 */
class TrainTransformerCommandTest {
    private static final Path DIR = Path.of("src/test/resources/transformers");
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void fineTunesAnExportedVitThatOrtStillRuns(String onnx) throws Exception {
        if (!Files.exists(Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) || !Files.exists(DIR.resolve(onnx))) return;
        Path out = tmp.resolve("tuned.onnx");
        JsonNode t = TrainEvalCommandTest.run(0, "train", "--init", DIR.resolve(onnx).toString(), "--data", "fashion-mnist", "--limit", "128", "--epochs", "1",
                "--batch", "64", "--lr", "0.0002", "--threads", "2", "--no-progress", "-o", out.toString(), "--json");
        assertTrue(t.get("val_accuracy").asDouble() > 0.6, t.toString());
        Model m = OnnxReader.read(out);
        Map<String, Tensor> feeds = Map.of("input", Npy.readNpz(DIR.resolve("vit.npz")).get("x"));
        float[] got = new Executor(m).run(feeds).get("logits").floats();
        try (OrtRunner ort = new OrtRunner(out, 2)) {
            float[] want = ort.run(feeds).get("logits").floats();
            double scale = 0;
            for (float f : want) scale = Math.max(scale, Math.abs(f));
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4 * scale, "logit " + i);
        }
    }
}
