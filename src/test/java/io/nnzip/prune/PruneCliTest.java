package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.cli.Main;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.dep.ValueProbe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The prune and sensitivity commands end to end on small models: files, report, provenance, errors. */
class PruneCliTest {
    record Outcome(int code, String out, String err) {}

    static Outcome run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            return new Outcome(Main.run(args), out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void structuredPruneWritesAModelThePlanAndAReport(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("m.onnx"), out = dir.resolve("p.onnx"), plan = dir.resolve("plan.json");
        OnnxWriter.write(HazardModels.shuffle(), in);
        Outcome o = run("prune", in.toString(), "--structured", "--method", "l2-filter", "--amount", "0.5", "-o", out.toString(),
                "--plan", plan.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        Map<String, Object> r = new ObjectMapper().readValue(o.out(), Map.class);
        assertTrue(((Number) r.get("mac_reduction")).doubleValue() > 0.3, o.out());
        assertTrue(r.containsKey("before") && r.containsKey("after") && r.containsKey("groups"));
        Model p = OnnxReader.read(out);
        Map<String, Object> prov = io.nnzip.pass.Provenance.read(p, "prune");
        assertEquals("l2-filter", ((Map<String, Object>) prov.get("options")).get("method"), p.metadata().toString());
        assertTrue(((String) prov.get("tool")).startsWith("nnzip "));
        Map<String, Tensor> feeds = ValueProbe.randomFeeds(p, 2, 1);
        try (OrtRunner ort = new OrtRunner(p, 1)) {
            assertArrayEquals(new int[] {2, 3}, ort.run(feeds).get("output").shape());
        }
        // replaying the plan gives the same weights
        Path again = dir.resolve("q.onnx");
        assertEquals(0, run("prune", in.toString(), "--replay", plan.toString(), "-o", again.toString(), "--latency-batch", "0").code());
        assertEquals(p.graph().initializers(), OnnxReader.read(again).graph().initializers());
    }

    @Test
    void unstructuredAndNmReportSparsity(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("m.onnx"), out = dir.resolve("p.onnx");
        OnnxWriter.write(HazardModels.mlp(), in);
        Outcome o = run("prune", in.toString(), "--amount", "0.75", "--scope", "global", "-o", out.toString(), "--latency-batch", "0");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("sparsity"), o.out());
        Outcome nm = run("prune", in.toString(), "--nm", "2:4", "-o", out.toString(), "--latency-batch", "0");
        assertEquals(0, nm.code(), nm.err());
        assertTrue(OnnxReader.read(out).metadata().get("nnzip.prune").contains("\"nm\":\"2:4\""));
    }

    @Test
    void sensitivityPrintsATableAndDrawsAChart(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("m.onnx"), png = dir.resolve("s.png");
        OnnxWriter.write(HazardModels.residualAdd(), in);
        Outcome o = run("sensitivity", in.toString(), "--amounts", "0.25,0.75", "--plot", png.toString(), "--batch-size", "8");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("agreement"), o.out());
        byte[] b = Files.readAllBytes(png);
        assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G');
    }

    @Test
    void autoAmountsReachTheMacTarget(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("m.onnx"), out = dir.resolve("p.onnx");
        OnnxWriter.write(HazardModels.residualAdd(), in);
        Outcome o = run("prune", in.toString(), "--structured", "--amount-per-layer", "auto", "--target-macs", "0.4", "-o", out.toString(),
                "--latency-batch", "0", "--json");
        assertEquals(0, o.code(), o.err());
        double red = ((Number) new ObjectMapper().readValue(o.out(), Map.class).get("mac_reduction")).doubleValue();
        assertTrue(red >= 0.3, "MAC reduction " + red);
    }

    @Test
    void badOptionsAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("m.onnx");
        OnnxWriter.write(HazardModels.mlp(), in);
        String o = dir.resolve("o.onnx").toString();
        for (String[] args : new String[][] {
                {"prune", in.toString(), "--amount", "1.5", "-o", o},
                {"prune", in.toString(), "--nm", "5:4", "-o", o},
                {"prune", in.toString(), "--prune-schedule", "sometimes", "-o", o},
                {"prune", in.toString(), "--structured", "--method", "magnitude", "-o", o},
                {"prune", in.toString(), "--finetune", "1", "-o", o},
                {"prune", "zoo:alexnet:64", "-o", o}}) {
            Outcome r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("nnzip: error: "), r.err());
        }
        assertFalse(Files.exists(Path.of(o)), "no output on error");
    }
}
