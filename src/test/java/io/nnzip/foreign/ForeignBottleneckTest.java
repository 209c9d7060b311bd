package io.nnzip.foreign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.eval.Bottleneck;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code info --bottleneck} on graphs real exporters write, against counts made without nnzip: by hand for the
 * TensorFlow-style graph, and for the torch exports by src/test/resources/foreign-cnn/bottleneck_counts.py, which runs
 * each graph in numpy/torch for its shapes and walks the file order (bottleneck_counts.json, batch 4). They carry
 * Concat, Transpose, Reshape (constant and computed shapes), Flatten, Pad with computed pads, Clip as ReLU6,
 * GlobalAveragePool, ReduceMean, Split/Slice, grouped and depthwise convs.
 */
class ForeignBottleneckTest {
    static final Path DIR = ForeignCnnSparseTest.DIR;

    /**
     * tf_style at batch 1, counted from the graph by hand: NHWC 28×28×1 → Transpose → 3×3 s2 pads (0,0,1,1) → 32×14×14
     * → ReLU → 3×3 dilation 2 → 64×14×14 → Clip(0, 6) → depthwise 3×3 s2 SAME_UPPER → 64×7×7 → ReLU → 1×1 s2 → 32×4×4 →
     * ReLU → Transpose → Reshape (1, 512) → MatMul 512×64 → Add → ReLU → MatMul 64×10 → Add.
     */
    @Test
    void tfStyleMatchesHandCount() {
        Bottleneck b = Bottleneck.of(OnnxReader.read(DIR.resolve("tf_style.onnx")), 1);
        assertNull(b.note, "every shape known");
        String[] ops = {"Transpose", "Conv", "Relu", "Conv", "Clip", "Conv", "Relu", "Conv", "Relu", "Transpose", "Reshape", "MatMul", "Add", "Relu", "MatMul", "Add"};
        // MACs: outputs × (C/g)·R·S, or outputs × K
        long[] macs = {0, 6272L * 9, 0, 12544L * 32 * 9, 0, 3136L * 9, 0, 512L * 64, 0, 0, 0, 64L * 512, 0, 0, 10L * 64, 0};
        // weights at their first reader: w1+b1, w2+b2, Clip's two bounds, wd+bd, w3+b3, the int64 shape, m1, a1, m2, a2
        long[] params = {0, 4 * (288 + 32), 0, 4 * (18432 + 64), 8, 4 * (576 + 64), 0, 4 * (2048 + 32), 0, 0, 16, 4 * 32768, 4 * 64, 0, 4 * 640, 40};
        long[] out = {3136, 25088, 25088, 50176, 50176, 12544, 12544, 2048, 2048, 2048, 2048, 256, 256, 256, 40, 40};
        // live: a step's inputs (last read here) and outputs; the graph input dies at step 0
        long[] live = {6272, 28224, 50176, 75264, 100352, 62720, 25088, 14592, 4096, 4096, 4096, 2304, 512, 512, 296, 80};
        assertEquals(ops.length, b.layers.size());
        for (int i = 0; i < ops.length; i++) {
            Bottleneck.Layer l = b.layers.get(i);
            String at = "step " + i + " " + l.op();
            assertEquals(ops[i], l.op(), at);
            assertEquals(macs[i], l.macs(), at + " MACs");
            assertEquals(params[i], l.paramBytes(), at + " weight bytes");
            assertEquals(out[i], l.outputBytes(), at + " output bytes");
            assertEquals(live[i], l.liveBytes(), at + " live bytes");
        }
        assertEquals(220096, b.storageBytes);
        assertEquals(3763520, b.macs);
        assertEquals(100352, b.peakBytes);
        assertEquals(4, b.peakStep);
        assertEquals(List.of("c2", "r2"), b.peakTensors.stream().map(Bottleneck.Live::name).sorted().toList());
        assertEquals(2L * (2 * 3136 + 2 * 25088 + 2 * 50176 + 2 * 12544 + 4 * 2048 + 3 * 256 + 2 * 40), b.activationTraffic);
        // 3.76 M MACs at 8 MACs/byte (470 KB) outweigh 382 KB of activations and 220 KB of weights
        assertEquals(Bottleneck.Resource.COMPUTE, b.dominant());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mini_mbv2", "mini_resnet", "mini_shuffle", "mini_squeeze", "tf_style"})
    void everyLayerMatchesPythonCount(String name) throws IOException {
        JsonNode all = new ObjectMapper().readTree(DIR.resolve("bottleneck_counts.json").toFile());
        JsonNode want = all.get("models").get(name);
        Bottleneck b = Bottleneck.of(OnnxReader.read(DIR.resolve(name + ".onnx")), all.get("batch").asInt());
        assertNull(b.note, name + ": every shape known");
        assertEquals(want.get("storage_bytes").asLong(), b.storageBytes, name + " storage");
        assertEquals(want.get("macs").asLong(), b.macs, name + " MACs");
        assertEquals(want.get("peak_activation_bytes").asLong(), b.peakBytes, name + " peak");
        assertEquals(want.get("peak_step").asInt(), b.peakStep, name + " peak step");
        assertEquals(want.get("activation_traffic_bytes").asLong(), b.activationTraffic, name + " traffic");
        List<String> wantLive = new ArrayList<>();
        for (JsonNode t : want.get("peak_tensors")) wantLive.add(t.get(0).asText() + "=" + t.get(1).asLong());
        assertEquals(wantLive.stream().sorted().toList(), b.peakTensors.stream().map(l -> l.name() + "=" + l.bytes()).sorted().toList(), name + " live at the peak");
        JsonNode layers = want.get("layers");
        assertEquals(layers.size(), b.layers.size(), name + " steps");
        for (int i = 0; i < layers.size(); i++) {
            JsonNode w = layers.get(i);
            Bottleneck.Layer l = b.layers.get(i);
            String at = name + " step " + i + " " + l.op();
            assertEquals(w.get("op").asText(), l.op(), at);
            assertEquals(w.get("macs").asLong(), l.macs(), at + " MACs");
            assertEquals(w.get("param_bytes").asLong(), l.paramBytes(), at + " weight bytes");
            assertEquals(w.get("output_bytes").asLong(), l.outputBytes(), at + " output bytes");
            assertEquals(w.get("live_bytes").asLong(), l.liveBytes(), at + " live bytes");
        }
    }

    /**
     * The bar on the real torchvision exports (random weights; make_fixtures.py BIG_DIR writes them, 9–45 MB, so
     * they are not in the repository: skipped where absent) and the PyTorch MLP fixture, batch 1, against
     * bottleneck_counts.py's totals: MobileNetV2 at 224² is bound by activation memory (its 96×112×112 expansions),
     * ResNet-18 by compute, the MLP by storage.
     */
    @Test
    void verdictsOnTorchvisionAndMlp() {
        check(Path.of("src/test/resources/pytorch/mlp_op13.onnx"), 453888, 113280, 6272, 23504, Bottleneck.Resource.STORAGE);
        Path big = Path.of(System.getProperty("nnzip.foreignCnnDir", "/work/art/s23/sparse"));
        Assumptions.assumeTrue(Files.exists(big.resolve("mobilenet_v2_224.onnx")), "torchvision exports not present");
        check(big.resolve("mobilenet_v2_224.onnx"), 8878504, 299507072, 9633792, 105227088, Bottleneck.Resource.ACTIVATIONS);
        check(big.resolve("resnet18_224.onnx"), 44707368, 1813566464, 6422528, 47173712, Bottleneck.Resource.COMPUTE);
        check(big.resolve("squeezenet1_1_224.onnx"), 2901672, 263489216, 6308352, 54202432, Bottleneck.Resource.ACTIVATIONS);
        check(big.resolve("shufflenet_v2_224.onnx"), 5023056, 143894232, 2408448, 60787088, Bottleneck.Resource.ACTIVATIONS);
    }

    private static void check(Path f, long storage, long macs, long peak, long traffic, Bottleneck.Resource verdict) {
        Model m = OnnxReader.read(f);
        Bottleneck b = Bottleneck.of(m, 1);
        String at = f.getFileName().toString();
        assertNull(b.note, at + ": every shape known");
        assertEquals(storage, b.storageBytes, at + " storage");
        assertEquals(macs, b.macs, at + " MACs");
        assertEquals(peak, b.peakBytes, at + " peak");
        assertEquals(traffic, b.activationTraffic, at + " traffic");
        assertEquals(verdict, b.dominant(), at + " verdict");
    }
}
