package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.ops.BinaryOps;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bit-operation layers against ONNX Runtime running the same standard-op graph (Where(Greater) input, ±α weights
 * decoded by Cast → Mul): the engine must lower them to BinaryConv and still agree. Channel counts straddle the
 * 64-bit word (C = 3, 64, 70) and the vector block of output channels (K = 5, 40); padding, stride and ReLU vary.
 */
class BinaryConvTest {
    static Model graph(boolean pm1, boolean gemm, int c, int k, int hw, int kernel, int stride, int pad, boolean relu, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        GraphBuilder b = new GraphBuilder("binary");
        String x = gemm ? b.input("x", DType.FLOAT, -1, c) : b.input("x", DType.FLOAT, -1, c, hw, hw);
        String cond = b.op("Greater", x, b.init("t", Tensor.scalar(0.1f)));
        float hi = 1.5f;
        String a = b.op("Where", new String[] {cond, b.init("hi", Tensor.scalar(hi)), b.init("lo", Tensor.scalar(pm1 ? -hi : 0f))});
        int taps = gemm ? c : c * kernel * kernel;
        byte[] codes = new byte[k * taps];
        float[] alpha = new float[k], bias = new float[k];
        for (int i = 0; i < codes.length; i++) codes[i] = (byte) (r.nextBoolean() ? 1 : -1);
        for (int o = 0; o < k; o++) {
            alpha[o] = (float) (0.05 + r.nextDouble() * 0.1);
            bias[o] = (float) (r.nextDouble() - 0.5);
        }
        int[] ws = gemm ? new int[] {k, c} : new int[] {k, c, kernel, kernel};
        String codesF = b.op("Cast", b.init("codes", new Tensor(DType.INT8, ws, codes)), Attribute.of("to", (long) DType.FLOAT.onnx));
        String w = b.op("Mul", codesF, b.init("alpha", Tensor.of(alpha, gemm ? new int[] {k, 1} : new int[] {k, 1, 1, 1})));
        String y = gemm
                ? b.op("Gemm", new String[] {a, w, b.init("bias", Tensor.of(bias, k))}, Attribute.of("transB", 1L))
                : b.op("Conv", new String[] {a, w, b.init("bias", Tensor.of(bias, k))}, Attribute.of("kernel_shape", (long) kernel, (long) kernel),
                        Attribute.of("pads", (long) pad, (long) pad, (long) pad, (long) pad), Attribute.of("strides", (long) stride, (long) stride));
        if (relu) y = b.op("Relu", y);
        b.rename(y, "y");
        if (gemm) b.output("y", DType.FLOAT, -1, k);
        else b.output("y", DType.FLOAT);
        return b.build(13);
    }

    @ParameterizedTest
    @CsvSource({"false,false,3,5,9,3,1,1,false", "true,false,3,5,9,3,1,1,false", "false,false,64,40,7,3,1,1,true", "true,false,64,40,7,3,2,1,true",
            "true,false,70,8,6,3,1,0,false", "false,false,70,8,6,1,1,0,false", "false,true,300,40,0,0,0,0,true", "true,true,130,5,0,0,0,0,false"})
    void agreesWithOnnxRuntime(boolean pm1, boolean gemm, int c, int k, int hw, int kernel, int stride, int pad, boolean relu) {
        Model m = graph(pm1, gemm, c, k, hw, kernel, stride, pad, relu, c * 31L + k);
        SplittableRandom r = new SplittableRandom(5);
        int n = 3;
        float[] x = new float[gemm ? n * c : n * c * hw * hw];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Tensor in = gemm ? Tensor.of(x, n, c) : Tensor.of(x, n, c, hw, hw);
        Tensor expect;
        try (OrtRunner ort = new OrtRunner(m, 1)) {
            expect = ort.run(Map.of("x", in)).get("y");
        }
        Model fused = Fusion.forInference(m);
        assertEquals(1, fused.graph().nodes().stream().filter(nd -> nd.opType().equals(BinaryOps.OP)).count(), "lowered to bits");
        assertEquals(1, fused.graph().nodes().size(), "Where, Greater, Cast, Mul and Relu folded away");
        Tensor got = new Executor(fused).run(Map.of("x", in)).get("y");
        assertArrayEquals(expect.shape(), got.shape());
        float[] e = expect.floats(), g = got.floats();
        for (int i = 0; i < e.length; i++) assertEquals(e[i], g[i], 1e-4f * (1 + Math.abs(e[i])), "element " + i);
    }
}
