package io.nnzip.arch;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.cli.Main;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The four commands end to end on a tiny .npz dataset: exit code 0, one JSON object, an output file that ONNX
 * Runtime runs with the engine's numbers, and the options recorded in its metadata.
 */
class CommandsTest {
    @TempDir
    Path dir;

    record Outcome(int code, Map<String, Object> json, String err) {}

    @SuppressWarnings("unchecked")
    static Outcome run(String... args) throws Exception {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        Map<String, Object> json = code == 0 ? new ObjectMapper().readValue(out.toString(), Map.class) : null;
        return new Outcome(code, json, err.toString());
    }

    Path dataset(Model labeller) throws Exception {
        Tensor xtr = TestModels.input(1, 96, 1, 12, 12), xte = TestModels.input(2, 32, 1, 12, 12);
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("x_train", xtr);
        arrays.put("y_train", labels(labeller, xtr));
        arrays.put("x_test", xte);
        arrays.put("y_test", labels(labeller, xte));
        Path p = dir.resolve("tiny.npz");
        Npy.writeNpz(p, arrays);
        return p;
    }

    static Tensor labels(Model m, Tensor x) {
        int[] y = DynamicTest.selfLabels(m, x);
        long[] l = new long[y.length];
        for (int i = 0; i < y.length; i++) l[i] = y[i];
        return Tensor.ofLongs(l, y.length);
    }

    Path save(Model m, String name) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, OnnxWriter.toBytes(m));
        return p;
    }

    static void assertRunsInOrt(Path p) {
        Model m = OnnxReader.read(p);
        Tensor x = TestModels.input(3, 2, 1, 12, 12);
        assertTrue(TestModels.relDiff(TestModels.runOrt(m, x), TestModels.run(m, x)) < 1e-5);
    }

    @Test
    @SuppressWarnings("unchecked")
    void redesignAdderFineTunesAndWritesWhatOrtRuns() throws Exception {
        Model cnn = TestModels.cnn(3, 12, 8, 16, 16);
        Path model = save(cnn, "cnn.onnx"), data = dataset(cnn), r = dir.resolve("adder.onnx");
        Outcome o = run("redesign", model.toString(), "--adder", "--data", data.toString(), "--calib-images", "32", "--finetune", "1",
                "--fit-steps", "20", "--no-progress", "-o", r.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        assertEquals("adder", o.json().get("redesign"));
        Map<?, ?> ft = (Map<?, ?>) o.json().get("finetune");
        assertTrue(ft.containsKey("accuracy_finetuned"));
        // --adder's own defaults: the original as teacher at lr 0.01 (sgd, η = 0.01/lr), and the layer-wise fit ran
        assertEquals("distillation from the original model", ft.get("objective"));
        assertEquals(0.01, ((Number) ft.get("lr")).doubleValue(), 1e-6);
        assertEquals(20, ((Number) ((Map<?, ?>) o.json().get("options")).get("fit_steps")).intValue());
        Map<?, ?> conv2 = ((java.util.List<Map<?, ?>>) o.json().get("layers")).stream().filter(l -> "conv2".equals(l.get("layer"))).findFirst().orElseThrow();
        assertTrue(((Number) conv2.get("output_error_fitted")).doubleValue() < ((Number) conv2.get("output_error_init")).doubleValue(), conv2.toString());
        Model written = OnnxReader.read(r);
        assertTrue(written.graph().nodes().stream().noneMatch(n -> n.opType().equals(io.nnzip.engine.ops.AdderOps.OP)));
        assertTrue(written.graph().nodes().stream().anyMatch(n -> n.opType().equals("Abs")));
        assertRunsInOrt(r);
        // the filter, written as (K, C·R·S, 1) for the Sub, moved in fine-tuning
        String w = written.graph().initializers().keySet().stream().filter(k -> k.contains("conv2") && k.contains("filters") && !k.contains("patch")).findFirst().orElseThrow();
        float[] before = cnn.graph().initializer("conv2.weight").floats(), after = written.graph().initializer(w).floats();
        assertEquals(before.length, after.length);
        assertTrue(TestModels.relDiff(before, after) > 0, "fine-tuning must update the adder filters");
        for (String[] flags : new String[][] {{}, {"--adder", "--depthwise-separable"}}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("redesign", model.toString(), "--data", data.toString(), "-o", r.toString()));
            args.addAll(java.util.List.of(flags));
            o = run(args.toArray(String[]::new));
            assertNotEquals(0, o.code());
            assertTrue(o.err().contains("exactly one of --depthwise-separable, --adder, --shuffle-groups, --fire and --wavelet-input"), o.err());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void factorizeRedesignDynamicDistill() throws Exception {
        Model cnn = TestModels.cnn(3, 12, 8, 16, 16);
        Path model = save(cnn, "cnn.onnx"), data = dataset(cnn);
        Path f = dir.resolve("f.onnx");
        Outcome o = run("factorize", model.toString(), "--method", "tucker", "--target-macs", "0.6", "--data", data.toString(), "--finetune", "1",
                "--no-progress", "-o", f.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        assertTrue(((Number) o.json().get("macs_ratio")).doubleValue() <= 0.6);
        assertTrue(((Map<?, ?>) o.json().get("finetune")).containsKey("accuracy_finetuned"));
        assertRunsInOrt(f);
        assertTrue(OnnxReader.read(f).metadata().containsKey("nnzip.factorize"));

        Path r = dir.resolve("r.onnx");
        o = run("redesign", model.toString(), "--depthwise-separable", "--data", data.toString(), "--calib-samples", "32", "-o", r.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        assertRunsInOrt(r);

        // fine-tuning: --teacher distills from the original model, --no-teacher (the default) uses hard labels; both must move the weights
        Model fitted = OnnxReader.read(r);
        for (boolean teacher : new boolean[] {true, false}) {
            Path t = dir.resolve("t" + teacher + ".onnx");
            o = run("redesign", model.toString(), "--depthwise-separable", "--data", data.toString(), "--calib-samples", "32", "--finetune", "1",
                    "--lr", "0.01", teacher ? "--teacher" : "--no-teacher", "--no-progress", "-o", t.toString(), "--json");
            assertEquals(0, o.code(), o.err());
            Map<String, Object> ft = (Map<String, Object>) o.json().get("finetune");
            assertEquals(teacher ? "distillation from the original model" : "hard labels", ft.get("objective"));
            assertRunsInOrt(t);
            Model tuned = OnnxReader.read(t);
            String w = fitted.graph().initializers().keySet().stream().filter(k -> k.contains("pointwise.weight")).findFirst().orElseThrow();
            assertTrue(TestModels.relDiff(fitted.graph().initializer(w).floats(), tuned.graph().initializer(w).floats()) > 0,
                    "fine-tuning must update the redesigned block");
        }

        Path a = dir.resolve("a.onnx");
        o = run("dynamic", model.toString(), "--exits", "conv2", "--data", data.toString(), "--head-epochs", "5", "-o", a.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        assertEquals(List.of("exit_0", "output"), o.json().get("exit_outputs"));
        assertEquals(DynamicPass.THRESHOLDS.length, ((List<?>) o.json().get("curve")).size());

        Path j = dir.resolve("j.onnx");
        o = run("dynamic", model.toString(), "--exits", "conv1,conv2", "--data", data.toString(), "--head-epochs", "3", "--head-grid", "1",
                "--training", "joint", "--joint-epochs", "1", "--exit-weights", "0.5,0.5,1", "--no-progress", "-o", j.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        assertEquals(List.of("exit_0", "exit_1", "output"), o.json().get("exit_outputs"));
        assertRunsInOrt(j);
        Model joint = OnnxReader.read(j);
        assertTrue(TestModels.relDiff(cnn.graph().initializer("conv2.weight").floats(), joint.graph().initializer("conv2.weight").floats()) > 0,
                "joint training must update the backbone");
        assertTrue(joint.metadata().get("nnzip.dynamic").contains("joint"));
        o = run("dynamic", model.toString(), "--exits", "conv2", "--data", data.toString(), "--training", "joint", "--exit-weights", "1,1,1",
                "-o", j.toString());
        assertNotEquals(0, o.code());
        assertTrue(o.err().contains("--exit-weights"), o.err());

        Model student = TestModels.cnn(4, 12, 4, 8, 8);
        Path s = save(student, "student.onnx"), d = dir.resolve("d.onnx");
        String tHint = cnn.graph().node("conv2").output(0), sHint = student.graph().node("conv2").output(0);
        o = run("distill", "--teacher", model.toString(), "--teacher", model.toString(), "--student", s.toString(), "--data", data.toString(),
                "--epochs", "1", "--hint", tHint + ":" + sHint, "--baseline", "--no-progress", "-o", d.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.json().containsKey("baseline_accuracy"));
        Model distilled = OnnxReader.read(d);
        assertEquals(student.graph().parameterCount(), distilled.graph().parameterCount(), "hint regressors must be stripped");
        assertEquals(List.of("output"), distilled.graph().outputNames());
        assertRunsInOrt(d);

        o = run("distill", "--teacher", model.toString(), "--student", s.toString(), "--data", data.toString(), "--hint", "nope:" + sHint,
                "-o", d.toString());
        assertNotEquals(0, o.code());
        assertTrue(o.err().contains("teacher has no value 'nope'"), o.err());
        assertEquals(DType.FLOAT, distilled.graph().inputs().getFirst().dtype());
    }
}
