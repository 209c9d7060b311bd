package io.nnzip.search;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.StructuredPruner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The genetic search's first generation (the uniform prune and a random genome) on graphs PyTorch wrote
 * (torchvision's MobileNetV2 at width 0.25 and a narrow ResNet, exported by {@code torch.onnx.export} at opset 13):
 * one gene per coupled group (residual Adds and depthwise convs tie channels
 * across layers), every repaired genome within the MAC budget, and the searched network run by ONNX Runtime giving
 * the original's output with the removed channels zeroed. The fitness is synthetic (cheap); what is checked is that
 * the search's encoding and pruning hold on a foreign graph. Skipped, visibly, without Debian's python3-torch and
 * python3-torchvision.
 */
class TorchvisionSearchTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void export() throws IOException, InterruptedException {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3: install python3-torch python3-torchvision to run this test");
        Process check = new ProcessBuilder(python.toString(), "-c", "import torch, torchvision").redirectErrorStream(true).start();
        Assumptions.assumeTrue(check.waitFor(120, TimeUnit.SECONDS) && check.exitValue() == 0,
                "python3 cannot import torch and torchvision: install python3-torch python3-torchvision to run this test");
        Process p = new ProcessBuilder(python.toString(), "scripts/torchvision-export.py", dir.toString(), "--small", "--opset", "13",
                "mobilenet_v2", "resnet18").redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(600, TimeUnit.SECONDS) && p.exitValue() == 0, "export failed: " + log);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "resnet18"})
    void theSearchPrunesAForeignGraphWithinTheBudget(String name) {
        Model m = OnnxReader.read(dir.resolve(name + ".onnx"));
        io.nnzip.engine.Canonical.apply(m);
        Encoding enc = new Encoding(m, "ratios", 0.1, 1);
        assertTrue(enc.length() >= 4, name + ": " + enc.length() + " coupled groups");
        SearchConfig c = SearchConfig.of(Map.of("population", 2, "generations", 0, "elitism", 1, "target_macs", 0.5, "seed", 3));
        GeneticSearch.Outcome o = new GeneticSearch(c, enc, GeneticSearchTest.synthetic(enc, new HashMap<>()), null, s -> {}).run();
        for (var gen : o.history()) for (GeneticSearch.Individual i : gen) assertTrue(i.cost() <= 0.5, name + ": cost " + i.cost());
        assertTrue(o.best().cost() > 0.3, name + ": the repair spends the budget, cost " + o.best().cost());
        StructuredPruner.Result r = enc.prune(o.best().genes());
        Model p = OnnxReader.read(OnnxWriter.toBytes(r.model()), null);
        io.nnzip.pytorch.TorchvisionPruneTest.assertRunsAsMasked(name, m, r, p, 5);
    }

    /**
     * Width search's measured part on the foreign graphs: a latency model fitted to candidates timed in ONNX Runtime
     * (thread CPU time, so load cannot break it), widths calibrated to 0.7 of the measured latency, and the result run by
     * ONNX Runtime as the masked original. No latency figure is asserted (timings); that the calibration logic meets
     * a target is WidthSearchTest's, on a fake device.
     */
    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2"})
    void theMeasuredWidthSearchPrunesAForeignGraph(String name) {
        Model m = OnnxReader.read(dir.resolve(name + ".onnx"));
        io.nnzip.engine.Canonical.apply(m);
        Encoding enc = new Encoding(m, "ratios", 0.1, 1);
        try (LatencyTimer.Measured timer = LatencyTimer.ort(m, io.nnzip.prune.dep.ValueProbe.randomFeeds(m, 2, 1), 1, 5, true)) {
            LatencyModel lm = LatencyModel.fit(m, enc, timer, 3, 2, s -> {});
            enc.costBy(lm::predict);
            SearchConfig c = SearchConfig.of(Map.of("method", "width-search", "target_latency", 0.7, "population", 2, "generations", 0, "elitism", 1, "seed", 3));
            GeneticSearch.Outcome o = new GeneticSearch(c, enc, GeneticSearchTest.synthetic(enc, new HashMap<>()), null, s -> {}).target(0.7).run();
            for (var gen : o.history()) for (GeneticSearch.Individual i : gen) assertTrue(i.cost() <= 0.7 + 1e-12, name + ": predicted " + i.cost());
            WidthCalibration.Result res = WidthCalibration.run(enc, o.best().genes(), 0.7, timer, 5, true, s -> {});
            assertTrue(res.check() > 0 && res.steps().size() >= 2, name + ": measured and checked");
            StructuredPruner.Result r = enc.prune(res.genes());
            Model p = OnnxReader.read(OnnxWriter.toBytes(r.model()), null);
            io.nnzip.pytorch.TorchvisionPruneTest.assertRunsAsMasked(name, m, r, p, 5);
        }
    }
}
