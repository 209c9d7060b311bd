package io.nnzip.engine.ops;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.OpCheck;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Conv and ConvTranspose against the ONNX node cases and PyTorch-converted cases (1-D and 2-D). */
class ConvConformanceTest {
    static final Path TORCH = Path.of("/usr/share/libonnx-testdata/data/pytorch-converted");

    @TestFactory
    Stream<DynamicTest> nodeCases() throws Exception {
        List<String> names = Stream.of("test_basic_conv", "test_conv_", "test_convtranspose")
                .flatMap(p -> {
                    try {
                        return OpCheck.cases(p).stream();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .filter(n -> !n.endsWith("_3d") && !n.contains("convinteger")).toList();
        Parallel two = new Parallel(2);
        return names.stream().flatMap(n -> Stream.of(
                DynamicTest.dynamicTest(n + " 1 thread", () -> OpCheck.runCase(OpCheck.NODE_CASES.resolve(n), new Parallel(1))),
                DynamicTest.dynamicTest(n + " 2 threads", () -> OpCheck.runCase(OpCheck.NODE_CASES.resolve(n), two))));
    }

    @TestFactory
    Stream<DynamicTest> torchCases() {
        List<String> names = List.of("test_Conv1d", "test_Conv1d_dilated", "test_Conv1d_groups", "test_Conv1d_pad1", "test_Conv1d_pad1size1",
                "test_Conv1d_pad2", "test_Conv1d_pad2size1", "test_Conv1d_stride", "test_Conv2d", "test_Conv2d_depthwise",
                "test_Conv2d_depthwise_padded", "test_Conv2d_depthwise_strided", "test_Conv2d_depthwise_with_multiplier",
                "test_Conv2d_dilated", "test_Conv2d_groups", "test_Conv2d_groups_thnn", "test_Conv2d_no_bias", "test_Conv2d_padding",
                "test_Conv2d_strided", "test_ConvTranspose2d", "test_ConvTranspose2d_no_bias");
        Parallel two = new Parallel(2);
        return names.stream().map(n -> DynamicTest.dynamicTest(n, () -> OpCheck.runCase(TORCH.resolve(n), two)));
    }
}
