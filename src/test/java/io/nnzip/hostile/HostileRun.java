package io.nnzip.hostile;

import io.nnzip.cli.Main;
import io.nnzip.codec.format.CrcFixer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Generates ~400 hostile inputs (the crafted cases, plus truncations and bit flips of valid ONNX, .npy, .npz, .nnz
 * and bundle files) and runs the CLI entry point on each with every command that reads that kind of file. Counts
 * internal errors (anything but exit 0 or a one-line "nnzip: error:"), hangs (no answer within 10 s) and partial
 * outputs (anything left in the output folder by a failed command, or a temporary file by a successful one).
 * The three counts must be 0; {@code scripts/hostile} runs it. Args: [workDir] [seed].
 */
public final class HostileRun {
    static final long HANG_SECONDS = 10;

    record Input(String name, Map<String, byte[]> files, List<String[]> commands) {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "target/hostile");
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 20;
        List<Input> inputs = inputs(new Random(seed));
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "hostile-case");
            t.setDaemon(true); // a hung case must not keep the JVM alive
            return t;
        });
        int runs = 0, accepted = 0, refused = 0, internal = 0, hangs = 0, partial = 0;
        List<String> bad = new ArrayList<>();
        PrintStream realOut = System.out, realErr = System.err;
        warmUp(work);
        long t0 = System.nanoTime();
        for (int i = 0; i < inputs.size(); i++) {
            Input in = inputs.get(i);
            for (String[] command : in.commands()) {
                Path w = Files.createDirectories(work.resolve(String.format("%03d-%s-%s", i, in.name(), command[0])));
                Path dir = GoldenErrors.layOut(in.files(), w);
                String cmd = String.join(" ", command);
                Path out = GoldenErrors.outFor(cmd, w);
                String[] a = GoldenErrors.args(cmd, dir, in.files().keySet().iterator().next(), out);
                ByteArrayOutputStream so = new ByteArrayOutputStream(), se = new ByteArrayOutputStream();
                System.setOut(new PrintStream(so, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(se, true, StandardCharsets.UTF_8));
                int code;
                String what = w.getFileName() + ": ";
                try {
                    Future<Integer> f = pool.submit(() -> Main.run(a));
                    code = f.get(HANG_SECONDS, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    code = -1;
                } catch (java.util.concurrent.ExecutionException e) {
                    code = -2;
                    se.writeBytes(("uncaught " + e.getCause()).getBytes(StandardCharsets.UTF_8));
                } finally {
                    System.setOut(realOut);
                    System.setErr(realErr);
                }
                runs++;
                String err = se.toString(StandardCharsets.UTF_8).strip();
                if (code == -1) {
                    hangs++;
                    bad.add(what + "HANG");
                    continue;
                }
                boolean oneLine = err.startsWith("nnzip: error: ") && !err.contains("\n");
                if (code == 0) accepted++;
                else if (oneLine) refused++;
                else {
                    internal++;
                    bad.add(what + "INTERNAL exit " + code + ": " + err.lines().limit(3).toList());
                }
                List<Path> left;
                try (Stream<Path> s = Files.walk(w.resolve("out"))) {
                    left = s.filter(p -> !p.equals(w.resolve("out"))).toList();
                }
                boolean debris = code != 0 ? !left.isEmpty() : left.stream().anyMatch(p -> p.getFileName().toString().endsWith(".tmp") || p.getFileName().toString().startsWith("."));
                if (debris) {
                    partial++;
                    bad.add(what + "PARTIAL output " + left);
                }
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        for (String b : bad) System.out.println(b);
        System.out.printf("hostile inputs: %d, CLI runs: %d (accepted %d, refused with a one-line error %d) -> internal errors %d, hangs %d, partial outputs %d  [%.0f s]%n",
                inputs.size(), runs, accepted, refused, internal, hangs, partial, secs);
        System.exit(internal + hangs + partial == 0 ? 0 : 1);
    }

    /**
     * One untimed valid run first: loading and compiling the CLI's classes takes seconds on a busy machine, and the
     * 10 s limit is about what a file makes the tool do, not about the JVM starting.
     */
    static void warmUp(Path work) throws IOException {
        Path dir = Files.createDirectories(work.resolve("warm-up"));
        Files.write(dir.resolve("model.onnx"), HostileInputs.tinyProto().build().toByteArray());
        Files.write(dir.resolve("x.npy"), HostileInputs.tinyInput());
        PrintStream realOut = System.out, realErr = System.err;
        System.setOut(new PrintStream(java.io.OutputStream.nullOutputStream()));
        System.setErr(new PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            Main.run("info", dir.resolve("model.onnx").toString());
            Main.run("run", dir.resolve("model.onnx").toString(), "--input", dir.resolve("x.npy").toString());
            Main.run("encode", dir.resolve("model.onnx").toString(), "--lossless", "-o", dir.resolve("m.nnz").toString());
            Main.run("decode", dir.resolve("m.nnz").toString(), "-o", dir.resolve("back.onnx").toString());
        } finally {
            System.setOut(realOut);
            System.setErr(realErr);
        }
    }

    static List<Input> inputs(Random rnd) throws IOException {
        List<Input> all = new ArrayList<>();
        for (HostileInputs.Case c : HostileInputs.crafted()) {
            List<String[]> cmds = new ArrayList<>();
            cmds.add(c.command());
            String first = c.files().keySet().iterator().next();
            if (first.endsWith(".onnx") && c.command()[0].equals("info")) {
                cmds.add(new String[] {"encode", "{in}", "--lossless", "-o", "{out}"});
                cmds.add(new String[] {"run", "{in}", "--input", "{dir}/x.npy"});
            }
            Map<String, byte[]> files = new LinkedHashMap<>(c.files());
            files.putIfAbsent("x.npy", HostileInputs.tinyInput());
            all.add(new Input("crafted-" + c.name(), files, cmds));
        }
        byte[] tiny = HostileInputs.tinyProto().build().toByteArray();
        byte[] cnn = Files.readAllBytes(Path.of("src/test/resources/codec/v4/base.onnx"));
        byte[] npy = HostileInputs.tinyInput();
        byte[] npz = HostileInputs.zip(Map.of("x.npy", npy));
        byte[] nnz = HostileInputs.tinyNnz();
        byte[] nnzCnn = Files.readAllBytes(Path.of("src/test/resources/codec/v4/lossless.nnz"));
        byte[] bundle = HostileInputs.bundle("a", "b");
        String[][] onnxCmds = {{"info", "{in}"}, {"encode", "{in}", "--lossless", "-o", "{out}"}, {"run", "{in}", "--input", "{dir}/x.npy"}};
        String[][] cnnCmds = {{"info", "{in}"}, {"encode", "{in}", "-o", "{out}"}};
        String[][] dataCmds = {{"run", "{dir}/model.onnx", "--input", "{in}"}};
        String[][] nnzCmds = {{"decode", "{in}", "-o", "{out}"}, {"inspect", "{in}"}};
        String[][] bundleCmds = {{"unpack", "{in}", "-d", "{out}"}};
        mutate(all, rnd, "onnx-tiny", "model.onnx", tiny, 25, 55, false, onnxCmds, Map.of("x.npy", npy));
        mutate(all, rnd, "onnx-cnn", "model.onnx", cnn, 10, 20, false, cnnCmds, Map.of());
        mutate(all, rnd, "npy", "x.npy", npy, 15, 25, false, dataCmds, Map.of("model.onnx", tiny));
        mutate(all, rnd, "npz", "x.npz", npz, 15, 30, false, dataCmds, Map.of("model.onnx", tiny));
        mutate(all, rnd, "nnz-tiny", "m.nnz", nnz, 15, 40, true, nnzCmds, Map.of());
        mutate(all, rnd, "nnz-cnn", "m.nnz", nnzCnn, 10, 25, true, nnzCmds, Map.of());
        mutate(all, rnd, "bundle", "b.nnz", bundle, 15, 45, true, bundleCmds, Map.of());
        return all;
    }

    /** Truncations at spread-out lengths and 1-4 random bit flips; for .nnz half the flips get fixed checksums. */
    static void mutate(List<Input> all, Random rnd, String kind, String file, byte[] valid, int cuts, int flips, boolean crc,
                       String[][] cmds, Map<String, byte[]> companions) {
        for (int k = 0; k < cuts; k++) {
            int n = (int) ((long) valid.length * k / cuts);
            all.add(input(kind + "-cut" + n, file, java.util.Arrays.copyOf(valid, n), cmds, companions));
        }
        for (int k = 0; k < flips; k++) {
            byte[] b = valid.clone();
            for (int j = rnd.nextInt(4); j >= 0; j--) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            if (crc && k % 2 == 1) b = CrcFixer.fix(b);
            all.add(input(kind + "-flip" + k + (crc && k % 2 == 1 ? "-crcfixed" : ""), file, b, cmds, companions));
        }
    }

    static Input input(String name, String file, byte[] b, String[][] cmds, Map<String, byte[]> companions) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(file, b);
        files.putAll(companions);
        return new Input(name, files, List.of(cmds));
    }
}
