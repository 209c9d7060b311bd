package io.nnzip.quant.binary;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.ops.BinaryOps;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.WeightSchemes;
import io.nnzip.quant.calib.LabeledData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Binarized PyTorch exports (src/test/resources/pytorch-lowbit, make_fixtures.py): a ResNet-style net (stride-2
 * convs, 1×1 stride-2 downsample, residual Adds, 24 and 40 channels that fill no 32-bit word, BN folded by the
 * exporter; resnet_bn: the same with its BatchNormalizations kept), torchvision's MobileNetV2 (depthwise convs, ReLU6 as Clip, linear bottlenecks) and ShuffleNetV2
 * (channel split, shuffle, Concat). Every binarized layer runs on bits in nnzip's engine — none silently left on
 * floats — and the engine's logits equal ONNX Runtime's on the written file; grouped convs are named as kept float.
 */
class PyTorchBinaryTest {
    @ParameterizedTest
    @CsvSource({"resnet,01,0", "resnet,pm1,0", "resnet_bn,pm1,0", "mobilenetv2,pm1,8", "mobilenetv2,01,8", "shufflenetv2,pm1,9"})
    void everyBinarizedLayerRunsOnBitsAndMatchesOrt(String name, String activations, int groupedConvs) {
        Model m = OnnxReader.read(Path.of("src/test/resources/pytorch-lowbit/" + name + ".onnx"));
        Normalization norm = Normalization.resolve("0.2860,0.3530", m);
        LabeledData data = LabeledData.of(Datasets.load("fashion-mnist", "test"), norm, m, 64);
        QuantConfig c = new QuantConfig();
        c.scheme = "binary";
        c.activations = activations;
        WeightSchemes.Applied a = BinaryNet.apply(m, c, data, null, null, s -> {});
        @SuppressWarnings("unchecked")
        List<String> binarized = (List<String>) a.notes().get("binarized_layers");
        @SuppressWarnings("unchecked")
        Map<String, String> kept = (Map<String, String>) a.notes().get("float_layers");
        assertEquals(groupedConvs, kept.values().stream().filter(v -> v.startsWith("grouped conv")).count(), kept.toString());
        assertEquals(2, kept.values().stream().filter(v -> v.endsWith("weight layer")).count(), kept.toString());
        Model file = OnnxReader.read(OnnxWriter.toBytes(a.model()), null);
        Model fused = Fusion.forInference(file);
        long bitLayers = fused.graph().nodes().stream().filter(n -> n.opType().equals(BinaryOps.OP)).count();
        assertEquals(binarized.size(), bitLayers, "binarized layers lowered to the bit kernel");
        Map<String, Tensor> feeds = Map.of(file.graph().runtimeInputs().getFirst().name(), data.slice(0, 16));
        Tensor ort;
        try (OrtRunner o = new OrtRunner(file, 1)) {
            ort = o.run(feeds).values().iterator().next();
        }
        Tensor ours = new Executor(fused).run(feeds).values().iterator().next();
        float scale = 0;
        for (float v : ort.floats()) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < ort.size(); i++) assertEquals(ort.floats()[i], ours.floats()[i], 1e-4f * (1 + scale), name + " logit " + i);
    }
}
