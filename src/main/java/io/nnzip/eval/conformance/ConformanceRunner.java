package io.nnzip.eval.conformance;

import io.nnzip.engine.Executor;
import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import io.nnzip.ir.ValueInfo;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.TensorProtos;
import io.nnzip.onnx.proto.Onnx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs the ONNX backend test suite's cases (a directory holding model.onnx and test_data_set_N/{input,output}_K.pb)
 * through the engine and compares every output. Besides the values, each node's shape rule is checked: shape
 * inference is run with the actual input shapes and every inferred output shape must equal the computed one.
 */
public final class ConformanceRunner {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/libonnx-testdata/data");
    public static final List<String> SUITES = List.of("node", "pytorch-converted", "pytorch-operator", "simple");
    public static final double RTOL = 1e-3, ATOL = 1e-5;

    private ConformanceRunner() {}

    /** Case directories under {@code root}'s suites whose "suite/name" matches {@code filter} (null for all), sorted. */
    public static List<Path> discover(Path root, Pattern filter) {
        List<Path> cases = new ArrayList<>();
        for (String suite : SUITES) {
            Path dir = root.resolve(suite);
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> Files.isRegularFile(p.resolve("model.onnx")))
                        .filter(p -> filter == null || filter.matcher(suite + "/" + p.getFileName()).find())
                        .sorted().forEach(cases::add);
            } catch (IOException e) {
                throw new NnzipException("cannot list " + dir + ": " + e.getMessage());
            }
        }
        return cases;
    }

    public static ConformanceReport runAll(Path root, Pattern filter) {
        if (!Files.isDirectory(root)) throw new NnzipException("no conformance suite at " + root);
        ConformanceReport report = new ConformanceReport();
        for (Path c : discover(root, filter)) report.add(run(c));
        return report;
    }

    /** Runs one case; never throws for a problem of the case itself. */
    public static CaseResult run(Path caseDir) {
        String name = caseDir.getParent().getFileName() + "/" + caseDir.getFileName();
        Set<String> ops = new TreeSet<>();
        try {
            byte[] bytes = Files.readAllBytes(caseDir.resolve("model.onnx"));
            Onnx.ModelProto proto = Onnx.ModelProto.parseFrom(bytes);
            Model model = OnnxReader.read(bytes, caseDir);
            collectOps(model.graph(), ops);
            if (!tensorsOnly(proto.getGraph())) return CaseResult.unsupported(name, ops, List.of("sequence/optional inputs"));
            Set<String> missing = Executor.unsupportedOps(model.graph());
            if (!missing.isEmpty()) return CaseResult.unsupported(name, ops, missing.stream().map(o -> "op " + o).toList());
            List<Path> sets = dataSets(caseDir);
            if (sets.isEmpty()) return CaseResult.unsupported(name, ops, List.of("no test data"));
            Executor exec = new Executor(model);
            for (Path set : sets) {
                String problem = runSet(model, exec, set);
                if (problem != null) return CaseResult.failed(name, ops, set.getFileName() + ": " + problem);
            }
            return CaseResult.passed(name, ops);
        } catch (UnsupportedOpException e) {
            return CaseResult.unsupported(name, ops, List.of(e.what()));
        } catch (NnzipException | IOException e) {
            return CaseResult.failed(name, ops, e.getMessage());
        } catch (RuntimeException e) {
            return CaseResult.failed(name, ops, "internal error: " + e);
        }
    }

    private static String runSet(Model model, Executor exec, Path set) {
        Graph g = model.graph();
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        var inputs = g.runtimeInputs();
        for (int k = 0; k < inputs.size(); k++) {
            Path f = set.resolve("input_" + k + ".pb");
            if (Files.exists(f)) feeds.put(inputs.get(k).name(), asDeclared(TensorProtos.readFile(f), inputs.get(k).dtype()));
        }
        fitDeclaredShapes(g, feeds);
        String random = RandomOps.nondeterministic(g, feeds);
        if (random != null) throw new UnsupportedOpException(random);
        Map<String, Tensor> produced = new HashMap<>();
        Map<String, Node> producer = new HashMap<>();
        exec.setListener((node, in, out, nanos) -> {
            for (int j = 0; j < node.outputs().size() && j < out.length; j++) {
                produced.put(node.output(j), out[j]);
                producer.put(node.output(j), node);
            }
        });
        Map<String, Tensor> got = exec.run(feeds);
        List<String> outs = g.outputNames();
        for (int k = 0; k < outs.size(); k++) {
            Path f = set.resolve("output_" + k + ".pb");
            if (!Files.exists(f)) continue;
            Tensor want = asDeclared(TensorProtos.readFile(f), g.outputs().get(k).dtype());
            String m = TensorCompare.mismatch(want, got.get(outs.get(k)), rtol(want.dtype()), ATOL);
            if (m != null) return "output '" + outs.get(k) + "' " + m;
        }
        return checkShapeRules(model, feeds, produced, producer);
    }

    /** Shape inference with the fed shapes must agree with every computed intermediate and output. */
    private static String checkShapeRules(Model model, Map<String, Tensor> feeds, Map<String, Tensor> produced, Map<String, Node> producer) {
        Map<String, int[]> shapes = new HashMap<>();
        feeds.forEach((k, v) -> shapes.put(k, v.shape()));
        Map<String, ValueType> types;
        try {
            types = ShapeInference.infer(model.graph(), model.opset(), 1, shapes);
        } catch (UnsupportedOpException e) {
            throw e;
        } catch (NnzipException e) {
            return "shape inference failed: " + e.getMessage();
        }
        for (Map.Entry<String, Tensor> e : produced.entrySet()) {
            ValueType t = types.get(e.getKey());
            if (t == null || e.getValue() == null) continue;
            Node n = producer.get(e.getKey());
            Tensor v = e.getValue();
            if (t.dtype() != null && t.dtype() != v.dtype())
                return "shape rule of " + n.describe() + ": output '" + e.getKey() + "' inferred " + t.dtype().lower() + ", computed " + v.dtype().lower();
            int[] s = t.shape(), a = v.shape();
            if (s == null) continue;
            boolean ok = s.length == a.length;
            for (int i = 0; ok && i < s.length; i++) ok = s[i] < 0 || s[i] == a[i];
            if (!ok) return "shape rule of " + n.describe() + ": output '" + e.getKey() + "' inferred " + t + ", computed " + java.util.Arrays.toString(a);
        }
        return null;
    }

    /**
     * Relative tolerance for an output type: {@link #RTOL}, widened to one unit in the last place for bfloat16
     * (8 significant bits), whose rounding the 1.12 reference does by truncation where nnzip rounds to nearest even.
     */
    static double rtol(DType t) { return t == DType.BFLOAT16 ? 0x1p-7 : RTOL; }

    /**
     * A few suite cases declare an input shape their own data does not have (castlike bfloat16: [3,4] declared,
     * [1] stored); the declaration is replaced by the data's shape so the op itself is what gets tested.
     */
    private static void fitDeclaredShapes(Graph g, Map<String, Tensor> feeds) {
        for (int i = 0; i < g.inputs().size(); i++) {
            ValueInfo v = g.inputs().get(i);
            Tensor t = feeds.get(v.name());
            if (t == null || v.dims() == null) continue;
            int[] declared = v.concreteShape(-1), actual = t.shape();
            boolean fits = declared.length == actual.length;
            for (int d = 0; fits && d < declared.length; d++) fits = declared[d] < 0 || declared[d] == actual[d];
            if (!fits) {
                long[] dims = new long[actual.length];
                for (int d = 0; d < dims.length; d++) dims[d] = actual[d];
                g.inputs().set(i, ValueInfo.of(v.name(), v.dtype(), dims));
            }
        }
    }

    /**
     * The suite (ONNX 1.12) stores bfloat16 test tensors as uint16 bit patterns; read them as the bfloat16 the
     * model declares.
     */
    static Tensor asDeclared(Tensor t, DType declared) {
        if (declared != DType.BFLOAT16 || t.dtype() != DType.UINT16) return t;
        int[] bits = t.ints();
        short[] h = new short[bits.length];
        for (int i = 0; i < h.length; i++) h[i] = (short) bits[i];
        return new Tensor(DType.BFLOAT16, t.shape(), h);
    }

    private static List<Path> dataSets(Path caseDir) throws IOException {
        try (Stream<Path> s = Files.list(caseDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("test_data_set_") && Files.isDirectory(p)).sorted().toList();
        }
    }

    private static boolean tensorsOnly(Onnx.GraphProto g) {
        for (Onnx.ValueInfoProto v : g.getInputList()) if (v.hasType() && !v.getType().hasTensorType()) return false;
        for (Onnx.ValueInfoProto v : g.getOutputList()) if (v.hasType() && !v.getType().hasTensorType()) return false;
        return true;
    }

    static void collectOps(Graph g, Set<String> ops) {
        for (Node n : g.nodes()) {
            ops.add(n.domain().isEmpty() || n.domain().equals("ai.onnx") ? n.opType() : n.domain() + "." + n.opType());
            for (var a : n.attributes().values()) if (a.value() instanceof Graph sg) collectOps(sg, ops);
        }
    }
}
