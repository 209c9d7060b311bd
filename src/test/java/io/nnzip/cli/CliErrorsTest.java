package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input ends in exit code ≠ 0 and one line on stderr that names the problem, never a stack trace. */
class CliErrorsTest {
    record Outcome(int code, String out, String err) {}

    static Outcome run(String... args) { return capture(() -> Main.run(args)); }

    /** Runs a command line with stdout and stderr captured. */
    static Outcome capture(java.util.function.IntSupplier command) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            int code = command.getAsInt();
            return new Outcome(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static void assertOneLineError(Outcome o, String... mustContain) {
        assertNotEquals(0, o.code(), "exit code");
        String err = o.err().strip();
        assertFalse(err.contains("\n"), "one line expected, got:\n" + err);
        assertFalse(err.contains("\tat "), "stack trace leaked:\n" + err);
        assertTrue(err.startsWith("nnzip: error: "), err);
        for (String s : mustContain) assertTrue(err.contains(s), "'" + s + "' missing from: " + err);
    }

    static Model tiny(String op) {
        GraphBuilder b = new GraphBuilder("t");
        String x = b.input("x", DType.FLOAT, -1, 4);
        b.output(b.op(op, x), DType.FLOAT, -1, 4);
        return b.build(13);
    }

    @Test
    void truncatedAndNonOnnxFiles(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.onnx");
        OnnxWriter.write(tiny("Relu"), good);
        byte[] all = Files.readAllBytes(good);
        Path trunc = dir.resolve("trunc.onnx");
        Files.write(trunc, java.util.Arrays.copyOf(all, all.length - 7));
        assertOneLineError(run("info", trunc.toString()), "trunc.onnx", "not a valid ONNX model");
        Path text = dir.resolve("notes.onnx");
        Files.writeString(text, "this is not a model\n");
        assertOneLineError(run("info", text.toString()), "notes.onnx");
        assertOneLineError(run("info", dir.resolve("missing.onnx").toString()), "no such file");
    }

    @Test
    void cycleUnsupportedOpAndWrongShape(@TempDir Path dir) throws Exception {
        Path x = dir.resolve("x.npy");
        Npy.write(x, Tensor.of(new float[6], 2, 3));
        Path x4 = dir.resolve("x4.npy");
        Npy.write(x4, Tensor.of(new float[8], 2, 4));

        Model cyc = tiny("Relu");
        GraphBuilder b = new GraphBuilder("c");
        b.input("x", DType.FLOAT, -1, 4);
        b.node("n1", "Add", java.util.List.of("x", "b"), java.util.List.of("a"));
        b.node("n2", "Neg", java.util.List.of("a"), java.util.List.of("b"));
        b.output("b", DType.FLOAT, -1, 4);
        cyc = b.build(13);
        Path cycle = dir.resolve("cycle.onnx");
        OnnxWriter.write(cyc, cycle);
        assertOneLineError(run("run", cycle.toString(), "--input", x4.toString()), "cycle");

        Path odd = dir.resolve("odd.onnx");
        OnnxWriter.write(tiny("FrobnicateNd"), odd);
        assertOneLineError(run("run", odd.toString(), "--input", x4.toString()), "unsupported", "FrobnicateNd");

        Path relu = dir.resolve("relu.onnx");
        OnnxWriter.write(tiny("Identity"), relu);
        assertOneLineError(run("run", relu.toString(), "--input", x.toString()), "input 'x'", "[2, 3]", "[N,4]");
    }

    @Test
    void badOptionsAreOneLineToo() {
        Outcome o = run("info");
        assertNotEquals(0, o.code());
        assertTrue(o.err().startsWith("nnzip: error: "), o.err());
        assertFalse(o.err().contains("\tat "));
    }

    @Test
    void jsonOutputIsOneObject(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("m.onnx");
        OnnxWriter.write(tiny("Identity"), m);
        Outcome o = run("info", m.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(o.out());
        assertTrue(tree.isObject());
        for (String k : new String[] {"params", "macs", "bytes", "sparsity"}) assertTrue(tree.has(k), k);
    }
}
