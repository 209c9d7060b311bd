package io.nnzip.onnx;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read → write → read over every model of ONNX's conformance suite yields an equal IR, and ONNX Runtime
 * loads and runs what we write with the suite's own inputs, giving the suite's own outputs.
 */
class OnnxRoundTripTest {
    static final Path SUITE = Path.of("/usr/share/libonnx-testdata/data");

    static List<Path> models() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(SUITE), "ONNX test data not installed");
        List<Path> out = new ArrayList<>();
        for (String d : new String[] {"node", "pytorch-converted", "pytorch-operator", "simple"})
            try (Stream<Path> s = Files.list(SUITE.resolve(d))) {
                s.sorted().map(p -> p.resolve("model.onnx")).filter(Files::exists).forEach(out::add);
            }
        return out;
    }

    @Test
    void everySuiteModelRoundTrips() throws IOException {
        List<Path> models = models();
        assertTrue(models.size() > 1000, "expected the full suite, found " + models.size());
        for (Path p : models) {
            Model a = OnnxReader.read(p);
            Model b = OnnxReader.read(OnnxWriter.toBytes(a), p.getParent());
            assertEquals(a, b, "round trip changed " + p);
            // writing is deterministic: the second write is byte-identical to the first
            assertArrayEquals(OnnxWriter.toBytes(a), OnnxWriter.toBytes(b), p.toString());
        }
    }

    @Test
    void onnxRuntimeRunsWhatWeWrite() throws IOException {
        int checked = 0;
        for (Path p : models()) {
            String dir = p.getParent().getParent().getFileName().toString();
            if (!dir.equals("pytorch-converted") && !dir.equals("simple")) continue;
            Path data = p.resolveSibling("test_data_set_0");
            if (!Files.isDirectory(data)) continue;
            Model m = OnnxReader.read(p);
            List<Tensor> ins = new ArrayList<>(), outs = new ArrayList<>();
            for (int i = 0; Files.exists(data.resolve("input_" + i + ".pb")); i++) ins.add(TensorProtos.readFile(data.resolve("input_" + i + ".pb")));
            for (int i = 0; Files.exists(data.resolve("output_" + i + ".pb")); i++) outs.add(TensorProtos.readFile(data.resolve("output_" + i + ".pb")));
            var runtimeInputs = m.graph().runtimeInputs();
            if (runtimeInputs.size() != ins.size()) continue;
            if (ins.stream().anyMatch(t -> t.dtype() == io.nnzip.ir.DType.STRING)) continue;
            java.util.Map<String, Tensor> feeds = new java.util.LinkedHashMap<>();
            for (int i = 0; i < ins.size(); i++) feeds.put(runtimeInputs.get(i).name(), ins.get(i));
            try (OrtRunner original = new OrtRunner(java.nio.file.Files.readAllBytes(p), 1)) {
                original.inputNames();
            } catch (io.nnzip.ir.NnzipException e) {
                continue; // ONNX Runtime does not run the original either (e.g. opsets below 7)
            }
            java.util.Map<String, Tensor> got;
            try (OrtRunner r = new OrtRunner(OnnxWriter.toBytes(m), 1)) {
                got = r.run(feeds);
            }
            List<String> names = m.graph().outputNames();
            for (int i = 0; i < outs.size(); i++) {
                float[] e = outs.get(i).toFloats(), g = got.get(names.get(i)).toFloats();
                assertEquals(e.length, g.length, p.toString());
                for (int j = 0; j < e.length; j++) assertEquals(e[j], g[j], 1e-4 + 1e-3 * Math.abs(e[j]), p + " output " + i + "[" + j + "]");
            }
            checked++;
        }
        assertTrue(checked > 50, "checked only " + checked);
    }

    @Test
    void externalDataRoundTrip(@TempDir Path dir) throws IOException {
        io.nnzip.ir.GraphBuilder b = new io.nnzip.ir.GraphBuilder("ext");
        String x = b.input("x", io.nnzip.ir.DType.FLOAT, 1, 3000);
        float[] w = new float[3000 * 4];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i);
        String y = b.op("MatMul", x, b.init("w", w, 3000, 4));
        b.output(b.op("Add", y, b.init("bias", new float[] {1, 2, 3, 4}, 4)), io.nnzip.ir.DType.FLOAT, 1, 4);
        Model m = b.build(13);
        Path out = dir.resolve("m.onnx");
        OnnxWriter.write(m, out, true);
        assertTrue(Files.exists(dir.resolve("m.onnx.data")));
        assertTrue(Files.size(out) < 2000, "weights should live in the data file");
        assertEquals(m, OnnxReader.read(out));
        // truncating the data file is reported, naming the tensor
        Path data = dir.resolve("m.onnx.data");
        byte[] all = Files.readAllBytes(data);
        Files.write(data, java.util.Arrays.copyOf(all, all.length / 2));
        var e = assertThrows(io.nnzip.ir.NnzipException.class, () -> OnnxReader.read(out));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }
}
