package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.TensorProtos;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Shared checks for op tests: the ONNX node conformance cases and ONNX Runtime as an oracle. */
public final class OpCheck {
    public static final Path NODE_CASES = Path.of("/usr/share/libonnx-testdata/data/node");
    public static final double RTOL = 1e-3, ATOL = 1e-5;

    private OpCheck() {}

    /** Names of the node conformance cases starting with {@code prefix}. */
    public static List<String> cases(String prefix) throws IOException {
        try (var s = Files.list(NODE_CASES)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted().toList();
        }
    }

    /** Runs one conformance case (every test_data_set) on the engine with the given team and compares outputs. */
    public static void runCase(Path dir, Parallel par) throws IOException {
        Model m = OnnxReader.read(dir.resolve("model.onnx"));
        Executor ex = new Executor(m, par);
        try (var sets = Files.list(dir)) {
            for (Path set : sets.filter(p -> p.getFileName().toString().startsWith("test_data_set")).sorted().toList()) {
                Map<String, Tensor> feeds = new HashMap<>();
                List<ValueInfo> ins = m.graph().runtimeInputs();
                for (int i = 0; i < ins.size(); i++) {
                    Path f = set.resolve("input_" + i + ".pb");
                    if (Files.exists(f)) feeds.put(ins.get(i).name(), TensorProtos.readFile(f));
                }
                Map<String, Tensor> got = ex.run(feeds);
                List<String> outs = m.graph().outputNames();
                for (int i = 0; i < outs.size(); i++) {
                    Tensor want = TensorProtos.readFile(set.resolve("output_" + i + ".pb"));
                    assertClose(want, got.get(outs.get(i)), dir.getFileName() + "/" + set.getFileName() + " " + outs.get(i));
                }
                Map<String, int[]> shapes = new HashMap<>();
                feeds.forEach((k, v) -> shapes.put(k, v.shape()));
                Map<String, ValueType> types = ShapeInference.infer(m.graph(), m.opset(), 1, shapes);
                for (String o : outs) {
                    ValueType t = types.get(o);
                    assertTrue(t != null && t.hasShape(), "shape of " + o + " inferred");
                    assertArrayEquals(got.get(o).shape(), t.shape(), "inferred shape of " + o + " in " + dir.getFileName());
                }
            }
        }
    }

    /** Runs a model on the engine and on ONNX Runtime and compares every output. */
    public static void matchesOrt(Model m, Map<String, Tensor> feeds, Parallel par, String what) {
        Map<String, Tensor> got = new Executor(m, par).run(feeds);
        Map<String, Tensor> want;
        try (OrtRunner ort = new OrtRunner(m, 1)) {
            want = ort.run(feeds);
        }
        for (String o : m.graph().outputNames()) assertClose(want.get(o), got.get(o), what + " " + o);
    }

    public static void assertClose(Tensor want, Tensor got, String what) {
        assertTrue(got != null, what + ": no output");
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        for (int i = 0; i < want.size(); i++) {
            double w = want.getDouble(i), g = got.getDouble(i);
            if (!(Math.abs(w - g) <= ATOL + RTOL * Math.abs(w)))
                throw new AssertionError(what + ": element " + i + " is " + g + ", expected " + w);
        }
    }

    public static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }
}
