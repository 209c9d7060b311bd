package io.nnzip.fuzz;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays the checked-in fuzz corpus (seeds and past findings, {@code src/test/resources/io/nnzip/fuzz/corpus/}) through
 * each reader's target: every input must end cleanly or in nnzip's own error. Plain JUnit on purpose: Jazzer's agent
 * would instrument every class of the shared test JVM and print to stderr, which the CLI tests capture;
 * {@code scripts/fuzz} does the fuzzing, in a JVM of its own.
 */
class FuzzCorpusTest {
    static final Map<String, Consumer<byte[]>> TARGETS = Map.of("onnx", OnnxTarget::fuzzerTestOneInput,
            "npy", NpyTarget::fuzzerTestOneInput, "nnz", NnzTarget::fuzzerTestOneInput, "bundle", BundleTarget::fuzzerTestOneInput, "serve", ServeTarget::fuzzerTestOneInput);

    @TestFactory
    Stream<DynamicTest> everyCorpusInputIsHandled() throws Exception {
        Path root = Path.of("src/test/resources/io/nnzip/fuzz/corpus");
        List<DynamicTest> tests = new java.util.ArrayList<>();
        for (Map.Entry<String, Consumer<byte[]>> t : new java.util.TreeMap<>(TARGETS).entrySet())
            try (Stream<Path> files = Files.list(root.resolve(t.getKey()))) {
                for (Path f : files.sorted().toList())
                    tests.add(DynamicTest.dynamicTest(t.getKey() + "/" + f.getFileName(),
                            () -> assertDoesNotThrow(() -> t.getValue().accept(Files.readAllBytes(f)))));
            }
        return tests.stream();
    }
}
