package io.nnzip.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Test data that comes from Debian packages. A test that needs it is skipped — visibly, with the command that
 * installs it — rather than returning early and counting as passed. {@code .ci/run} installs the packages.
 */
public final class TestData {
    private TestData() {}

    public static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
    public static final Path ONNX_SUITE = Path.of("/usr/share/libonnx-testdata/data");

    public static boolean haveFashion() { return Files.exists(FASHION.resolve("train-images-idx3-ubyte.gz")) && Files.exists(FASHION.resolve("t10k-images-idx3-ubyte.gz")); }

    public static void assumeFashion() {
        Assumptions.assumeTrue(haveFashion(), "Fashion-MNIST is not installed (sudo apt-get install dataset-fashion-mnist, or run .ci/run)");
    }

    public static void assumeOnnxSuite() {
        Assumptions.assumeTrue(Files.isDirectory(ONNX_SUITE), "ONNX test data is not installed (sudo apt-get install libonnx-testdata, or run .ci/run)");
    }
}
