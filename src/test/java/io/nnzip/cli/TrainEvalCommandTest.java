package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train → eval through the command line on a small slice of Fashion-MNIST (skipped when it is not installed). */
class TrainEvalCommandTest {
    @TempDir Path tmp;

    static JsonNode run(int expectExit, String... args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setOut(old);
        }
        assertEquals(expectExit, code, buf.toString());
        return expectExit == 0 ? new ObjectMapper().readTree(buf.toString()) : null;
    }

    @Test
    void trainWritesAModelThatEvalReadsWithItsNormalization() throws Exception {
        io.nnzip.testing.TestData.assumeFashion();
        Path out = tmp.resolve("mlp.onnx");
        JsonNode t = run(0, "train", "--model", "mlp", "--width", "0.5", "--data", "fashion-mnist", "--limit", "1500", "--epochs", "1",
                "--batch", "50", "--seed", "3", "--threads", "2", "--no-progress", "-o", out.toString(), "--json");
        for (String k : new String[] {"seconds_per_epoch", "images_per_second", "train_loss", "val_accuracy"}) assertTrue(t.has(k), k);
        assertTrue(t.get("val_accuracy").asDouble() > 0.6, t.toString());
        Model m = OnnxReader.read(out);
        assertEquals("input", m.graph().runtimeInputs().getFirst().name());
        assertEquals("logits", m.graph().outputNames().getFirst());
        Normalization n = Normalization.fromMetadata(m);
        assertTrue(n != null && !n.isIdentity());
        assertTrue(m.metadata().get("nnzip.train").contains("\"seed\":3"), m.metadata().toString());
        assertTrue(m.metadata().get("nnzip.train").contains("\"tool\":\"nnzip "));

        JsonNode e = run(0, "eval", out.toString(), "--data", "fashion-mnist", "--limit", "1500", "--json");
        assertEquals(t.get("val_accuracy").asDouble(), e.get("accuracy").asDouble(), 1e-4);
        assertTrue(e.get("top5_accuracy").asDouble() >= e.get("accuracy").asDouble());
        assertEquals(10, e.get("confusion_matrix").size());
        assertTrue(e.get("images_per_second").asDouble() > 0);
        JsonNode o = run(0, "eval", out.toString(), "--data", "fashion-mnist", "--limit", "1500", "--runtime", "ort", "--json");
        assertEquals(e.get("accuracy").asDouble(), o.get("accuracy").asDouble(), 1e-9);
        // overriding the recorded normalization changes the inputs, hence (almost surely) the loss
        JsonNode raw = run(0, "eval", out.toString(), "--data", "fashion-mnist", "--limit", "1500", "--normalize", "0,1", "--json");
        assertTrue(Math.abs(raw.get("loss").asDouble() - e.get("loss").asDouble()) > 1e-3);
    }

    /** A strong nuclear-norm weight leaves the first layer's matrix of low rank (counted by EJML's SVD); without it, full rank. */
    @Test
    void lowRankRegularizationLowersTheRankOfTheWeights() throws Exception {
        io.nnzip.testing.TestData.assumeFashion();
        int[] ranks = new int[2];
        for (int i = 0; i < 2; i++) {
            Path out = tmp.resolve("lr" + i + ".onnx");
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "--model", "mlp", "--width", "0.5", "--data", "fashion-mnist",
                    "--limit", "600", "--epochs", "1", "--batch", "50", "--seed", "3", "--threads", "2", "--no-progress", "-o", out.toString(), "--json"));
            if (i == 1) args.addAll(java.util.List.of("--low-rank-reg", "200"));
            run(0, args.toArray(String[]::new));
            Model m = OnnxReader.read(out);
            io.nnzip.ir.Tensor w = m.graph().nodes().stream().filter(n -> n.opType().equals("Gemm")).map(n -> m.graph().initializer(n.input(1)))
                    .findFirst().orElseThrow();
            int rows = w.dim(0), cols = w.dim(1);
            double[] a = new double[rows * cols];
            float[] f = w.floats();
            for (int j = 0; j < a.length; j++) a[j] = f[j];
            org.ejml.simple.SimpleMatrix sm = new org.ejml.simple.SimpleMatrix(rows, cols, true, a);
            double[] sv = sm.svd(true).getSingularValues();
            double max = java.util.Arrays.stream(sv).max().orElseThrow();
            ranks[i] = (int) java.util.Arrays.stream(sv).filter(v -> v > 1e-4 * max).count();
            if (i == 0) assertEquals(Math.min(rows, cols), ranks[0], "unregularized weights have full rank");
        }
        assertTrue(ranks[1] <= ranks[0] / 2, java.util.Arrays.toString(ranks));
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--model", "mlp", "--data", "fashion-mnist", "--low-rank-reg", "x:weight", "-o",
                tmp.resolve("x.onnx").toString()), "--low-rank-reg");
    }

    @Test
    void userErrorsAreOneLine() {
        // stderr is read, not just the exit code: one line, starting "nnzip: error:", naming what is wrong
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--data", "fashion-mnist", "-o", tmp.resolve("x.onnx").toString()), "--model");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--model", "nope", "--data", "fashion-mnist", "-o", tmp.resolve("x.onnx").toString()), "nope");
        Path missing = tmp.resolve("missing.onnx");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("eval", missing.toString(), "--data", "fashion-mnist"), missing.toString());
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("eval", missing.toString(), "--data", "fashion-mnist", "--limit", "-5"), "--limit -5");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("info", missing.toString(), "--batch", "-5"), "--batch -5");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("eval", missing.toString(), "--frobnicate"), "--frobnicate", "nnzip eval --help");
    }
}
