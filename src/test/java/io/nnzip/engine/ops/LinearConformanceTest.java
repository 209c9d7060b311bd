package io.nnzip.engine.ops;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.OpCheck;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Gemm and MatMul against the ONNX node conformance cases, on one thread and on two. */
class LinearConformanceTest {
    @TestFactory
    Stream<DynamicTest> conformance() throws Exception {
        List<String> names = Stream.concat(OpCheck.cases("test_gemm").stream(), OpCheck.cases("test_matmul_").stream()).toList();
        Parallel two = new Parallel(2);
        return names.stream().flatMap(n -> Stream.of(
                DynamicTest.dynamicTest(n + " 1 thread", () -> OpCheck.runCase(OpCheck.NODE_CASES.resolve(n), new Parallel(1))),
                DynamicTest.dynamicTest(n + " 2 threads", () -> OpCheck.runCase(OpCheck.NODE_CASES.resolve(n), two))));
    }
}
