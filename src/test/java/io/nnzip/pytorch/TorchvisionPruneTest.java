package io.nnzip.pytorch;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.Masking;
import io.nnzip.prune.StructuredPruner;
import io.nnzip.prune.criteria.WeightNormCriterion;
import io.nnzip.prune.dep.ValueProbe;
import io.nnzip.prune.report.LayerCosts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Structured 50 % l1-filter pruning on torchvision's own ResNet, MobileNetV2, SqueezeNet 1.1 and ShuffleNetV2
 * (small widths, 10 classes) as {@code torch.onnx.export} writes them at opset 13 with a dynamic batch:
 * deduplicated biases behind Identity, Constant nodes, chunk() as Slices with computed bounds, channel shuffle
 * through Reshape/Transpose, Fire-module Concats, residual Adds, Flatten into Gemm. ONNX Runtime must run the
 * result with the original output shape, at least 40 % of the MACs must go, and the outputs must equal the
 * original's with the removed slices zeroed. Needs Debian's python3-torch and python3-torchvision (skipped,
 * visibly, without them); scripts/torchvision-export.py makes the models.
 */
public class TorchvisionPruneTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void export() throws IOException, InterruptedException {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3: install python3-torch python3-torchvision to run this test");
        Process check = new ProcessBuilder(python.toString(), "-c", "import torch, torchvision").redirectErrorStream(true).start();
        Assumptions.assumeTrue(check.waitFor(120, TimeUnit.SECONDS) && check.exitValue() == 0,
                "python3 cannot import torch and torchvision: install python3-torch python3-torchvision to run this test");
        Process p = new ProcessBuilder(python.toString(), "scripts/torchvision-export.py", dir.toString(), "--small", "--opset", "13")
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(600, TimeUnit.SECONDS) && p.exitValue() == 0, "export failed: " + log);
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x0_5"})
    void halfTheChannelsOfTheRealExportGo(String name) {
        Model m = OnnxReader.read(dir.resolve(name + ".onnx"));
        StructuredPruner.Result r = StructuredPruner.prune(m, new WeightNormCriterion(1), 0.5, "layer", null);
        Model p = OnnxReader.read(OnnxWriter.toBytes(r.model()), null);
        long before = LayerCosts.totalMacs(m, 1), after = LayerCosts.totalMacs(p, 1);
        assertTrue(after <= 0.6 * before, name + ": MACs " + before + " -> " + after + "; " + r.plan().notes);
        assertRunsAsMasked(name, m, r, p, 3);
    }

    /**
     * In ONNX Runtime, the pruned model {@code p} keeps the original's output shape and gives what the original gives
     * with the removed channels zeroed (masked) — the independent reference for a structural prune.
     */
    public static void assertRunsAsMasked(String name, Model m, StructuredPruner.Result r, Model p, long seed) {
        Map<String, Tensor> feeds = ValueProbe.randomFeeds(m, 2, seed);
        Tensor original, masked, pruned;
        String out = m.graph().outputNames().getFirst();
        try (OrtRunner o = new OrtRunner(m, 1)) {
            original = o.run(feeds).get(out);
        }
        try (OrtRunner o = new OrtRunner(Masking.mask(m, r.plan()), 1)) {
            masked = o.run(feeds).get(out);
        }
        try (OrtRunner o = new OrtRunner(p, 1)) {
            pruned = o.run(feeds).get(out);
        }
        assertArrayEquals(original.shape(), pruned.shape(), name + ": output shape");
        float[] a = masked.floats(), b = pruned.floats();
        double scale = 0;
        for (float v : a) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 * Math.max(scale, 1), name + " output " + i);
    }
}
