package io.nnzip.fuzz;

import io.nnzip.hostile.HostileInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes the seed corpus of the fuzz targets (valid files plus the crafted hostile ones), for checking in. */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources/io/nnzip/fuzz");
        write(root.resolve("corpus/onnx"), "tiny", HostileInputs.tinyProto().build().toByteArray());
        for (HostileInputs.Case c : HostileInputs.crafted())
            for (Map.Entry<String, byte[]> f : c.files().entrySet())
                if (f.getKey().endsWith(".onnx") && f.getValue().length < 4096 && c.name().indexOf("npy") < 0)
                    write(root.resolve("corpus/onnx"), c.name(), f.getValue());
        Path npy = root.resolve("corpus/npy");
        write(npy, "npy", prefixed(0, HostileInputs.tinyInput()));
        write(npy, "npz", prefixed(1, HostileInputs.zip(Map.of("x.npy", HostileInputs.tinyInput(), "y.npy", HostileInputs.tinyInput()))));
        write(npy, "npy-pickle", prefixed(0, HostileInputs.npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", HostileInputs.pickle())));
        // findings of earlier campaigns stay in the corpus as regression inputs: npy/finding-header-length-overflow,
        // nnz/finding-negative-unit-length
        write(npy, "npz-lying", prefixed(1, HostileInputs.zipLying("x.npy", 4096, 100)));
        byte[] nnz = HostileInputs.tinyNnz();
        write(root.resolve("corpus/nnz"), "raw", prefixed(0, nnz));
        write(root.resolve("corpus/nnz"), "crc-fixed", prefixed(1, nnz));
        byte[] bundle = HostileInputs.bundle("a", "b");
        write(root.resolve("corpus/bundle"), "raw", prefixed(0, bundle));
        write(root.resolve("corpus/bundle"), "crc-fixed", prefixed(1, bundle));
        write(root.resolve("corpus/bundle"), "bad-name", prefixed(1, HostileInputs.bundle("a", "../x")));
    }

    /** Runs valid inputs of every reader once before fuzzing, to load and instrument the code they reach. */
    static void warmUp(java.util.function.Consumer<byte[]> target) {
        io.nnzip.engine.OpRegistry.types();
        for (byte[] b : java.util.List.of(HostileInputs.tinyProto().build().toByteArray(), prefixed(0, HostileInputs.tinyInput()),
                prefixed(1, HostileInputs.tinyNnz()), prefixed(1, HostileInputs.bundle("a", "b")))) target.accept(b);
    }

    /** The input after its first byte, which the npy/nnz/bundle targets use as a switch. */
    static byte[] body(byte[] data) { return data.length == 0 ? data : java.util.Arrays.copyOfRange(data, 1, data.length); }

    /** {@link #body}, with the .nnz checksums recomputed when the first byte is odd, so mutations reach the decoders. */
    static byte[] nnzBody(byte[] data) {
        byte[] rest = body(data);
        return data.length > 0 && (data[0] & 1) == 1 ? io.nnzip.codec.format.CrcFixer.fix(rest) : rest;
    }

    static byte[] prefixed(int first, byte[] b) {
        byte[] out = new byte[b.length + 1];
        out[0] = (byte) first;
        System.arraycopy(b, 0, out, 1, b.length);
        return out;
    }

    static void write(Path dir, String name, byte[] b) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), b);
    }
}
