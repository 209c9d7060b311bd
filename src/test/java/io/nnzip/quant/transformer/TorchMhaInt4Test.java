package io.nnzip.quant.transformer;

import static io.nnzip.quant.transformer.TransformerInt8Test.DIR;
import static io.nnzip.quant.transformer.TransformerInt8Test.maxAbs;
import static io.nnzip.quant.transformer.TransformerInt8Test.ort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.Scheme;
import io.nnzip.quant.WeightSchemes;
import io.nnzip.quant.report.OrtFusion;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * int4 weight-only on torchvision's VisionTransformer as PyTorch exports it (make_tv_fixture.py, 2 layers): its
 * nn.MultiheadAttention out_proj is a Gemm (transB, bias), which must be stored as MatMulNBits (+ the bias as an
 * Add) like the MatMul layers, not left in an int8 container (before: 6 MatMulNBits). References: ORT's optimized
 * graph (8 MatMulNBits: 2 × in_proj, out_proj, fc1, fc2; the head Gemm writes the graph output and stays int8),
 * PyTorch's logits, and nnzip's engine against ORT on the 4-bit file.
 */
class TorchMhaInt4Test {
    @ParameterizedTest
    @ValueSource(strings = {"tv_vit_op13.onnx", "tv_vit_op17.onnx"})
    void outProjGemmIsStoredAsMatMulNBits(String onnx) {
        Model m = TransformerInt8Test.canonical(onnx);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("tv_vit.npz"));
        QuantConfig cfg = new QuantConfig();
        cfg.scheme = "int4";
        cfg.weightOnly = true;
        cfg.gptq = true;
        WeightSchemes.Applied q = WeightSchemes.apply(m, Scheme.parse("int4"), cfg, null, null, List.of(a.get("x")), s -> { });
        // per layer: in_proj (MatMul), out_proj (Gemm), fc1, fc2 (MatMul)
        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(q.model(), 2);
        assertEquals(8, ops.getOrDefault("MatMulNBits", 0), ops.toString());
        assertEquals(1L, q.model().graph().nodes().stream().filter(n -> n.opType().equals("Gemm")).count(), "only the head stays a Gemm");
        float[] want = a.get("y").floats(), got = ort(q.model(), a.get("x"));
        double err = 0;
        for (int i = 0; i < want.length; i++) err = Math.max(err, Math.abs(want[i] - got[i]));
        // untrained, 16 wide, 8 random images to calibrate: 4 bits move its logits by about a fifth (0.91 of 4.62)
        assertTrue(err < 0.3 * maxAbs(want), "int4 logits off PyTorch's by " + err + " of " + maxAbs(want));
        float[] engine = new io.nnzip.engine.Executor(q.model(), new io.nnzip.engine.Parallel(2)).run(Map.of("input", a.get("x"))).get("logits").floats();
        for (int i = 0; i < got.length; i++) assertEquals(got[i], engine[i], 1e-3 * maxAbs(got), onnx + " engine vs ORT [" + i + "]");
    }
}
