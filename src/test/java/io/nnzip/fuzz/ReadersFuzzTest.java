package io.nnzip.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The fuzz targets as JUnit tests. Under {@code mvn test} each replays its checked-in corpus
 * ({@code src/test/resources/io/nnzip/fuzz/ReadersFuzzTestInputs/<method>/}); with {@code JAZZER_FUZZ=1} one of them
 * fuzzes. Campaigns run through {@code scripts/fuzz}, which drives the same targets with Jazzer's own launcher.
 */
class ReadersFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void onnx(byte[] data) { OnnxTarget.fuzzerTestOneInput(data); }

    @FuzzTest(maxDuration = "10s")
    void npy(byte[] data) { NpyTarget.fuzzerTestOneInput(data); }

    @FuzzTest(maxDuration = "10s")
    void nnz(byte[] data) { NnzTarget.fuzzerTestOneInput(data); }

    @FuzzTest(maxDuration = "10s")
    void bundle(byte[] data) { BundleTarget.fuzzerTestOneInput(data); }
}
