package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "From PyTorch" walk-through on a model torch.onnx.export wrote (src/test/resources/pytorch):
 * {@code info}, {@code compress} with the normalization the model was trained with, then the result run in ONNX
 * Runtime. The data are PyTorch's own test images labelled with PyTorch's own predictions, so the baseline is
 * 100 % exactly when nnzip feeds the model the normalized input it expects.
 */
class FromPyTorchTest {
    @Test
    void infoCompressAndRunInOrt(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("cnn.onnx");
        Files.copy(Path.of("src/test/resources/pytorch/cnn_op17.onnx"), model);
        Map<String, Tensor> ref = Npy.readNpz(Path.of("src/test/resources/pytorch/reference.npz"));
        Tensor x = ref.get("x"), logits = ref.get("cnn");
        float[] pixels = x.floats().clone();
        for (int i = 0; i < pixels.length; i++) pixels[i] = pixels[i] * 0.3530f + 0.2860f;
        int n = x.dim(0), classes = logits.dim(1);
        long[] labels = new long[n];
        for (int i = 0; i < n; i++)
            for (int c = 1; c < classes; c++) if (logits.floats()[i * classes + c] > logits.floats()[i * classes + (int) labels[i]]) labels[i] = c;
        Map<String, Tensor> data = new LinkedHashMap<>();
        Tensor px = Tensor.of(pixels, x.shape()), y = new Tensor(DType.INT64, new int[] {n}, labels);
        data.put("x_train", px);
        data.put("y_train", y);
        data.put("x_test", px);
        data.put("y_test", y);
        Path npz = dir.resolve("data.npz");
        Npy.writeNpz(npz, data);

        CliErrorsTest.Outcome info = CliErrorsTest.run("info", model.toString(), "--json");
        assertEquals(0, info.code(), info.err());
        JsonNode in = new ObjectMapper().readTree(info.out()).get("inputs").get(0);
        assertEquals("[batch,1,28,28]", in.get("shape").asText());

        Path out = dir.resolve("small.onnx");
        CliErrorsTest.Outcome c = CliErrorsTest.run("compress", model.toString(), "--recipe", "edge-int8", "--data", npz.toString(),
                "--normalize", "0.2860,0.3530", "-o", out.toString(), "--json");
        assertEquals(0, c.code(), c.err());
        JsonNode baseline = new ObjectMapper().readTree(c.out()).get("steps").get(0).get("measurement");
        double acc = baseline.get("accuracy").asDouble();
        assertTrue(acc == 1.0 || acc == 100.0, "the baseline sees normalized input and agrees with PyTorch on every image: " + baseline);

        Path xs = dir.resolve("x.npy"), ys = dir.resolve("y.npy");
        Npy.write(xs, x);
        CliErrorsTest.Outcome run = CliErrorsTest.run("run", out.toString(), "--input", xs.toString(), "--output", ys.toString(), "--runtime", "ort");
        assertEquals(0, run.code(), run.err());
        assertArrayEquals(new int[] {n, classes}, Npy.read(ys).shape());
    }
}
