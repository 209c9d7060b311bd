package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A compensated update, sent as bytes and patched onto the base, moves each layer's output (measured by ONNX Runtime
 * on the calibration images, against the new model's) less than the plainly rounded update at the same steps.
 */
class UpdateCompensationTest {
    @Test
    void compensatedUpdateKeepsLayerOutputsCloserToTheNewModel() {
        Model base = SyntheticModels.cnn(3, 4, 8, 16);
        Model next = SyntheticModels.finetune(base, 2, 0.5);
        Random r = new Random(1);
        float[] px = new float[48 * 784];
        for (int i = 0; i < px.length; i++) px[i] = r.nextFloat();
        Dataset calib = new Dataset("noise", px, new int[48], 1, 28, 28, 10);
        Set<String> layers = Set.of("conv2.weight", "fc1.weight");
        ErrorCompensation ec = ErrorCompensation.prepare(next, layers, calib, Normalization.NONE, 16);
        assertEquals(layers, ec.layers());
        // QP 0: a step of σ, about twice the change, so plain rounding sends few levels.
        CodecOptions o = UpdateCompensation.codingOptions(CodecOptions.defaults().withThreads(1).withOverrides(Map.of("conv2.weight", 0, "fc1.weight", 0)));
        Model plain = Patcher.patch(base, DiffEncoder.diff(base, next, o, true), "plain", 1);
        Model comp = Patcher.patch(base, DiffEncoder.diff(base, UpdateCompensation.target(ec, base, next, o), o, true), "comp", 1);
        for (String w : layers) {
            float[] want = output(next, w, px), a = output(plain, w, px), b = output(comp, w, px);
            double ep = 0, ec2 = 0;
            for (int i = 0; i < want.length; i++) {
                ep += (double) (a[i] - want[i]) * (a[i] - want[i]);
                ec2 += (double) (b[i] - want[i]) * (b[i] - want[i]);
            }
            assertTrue(ep > 0 && ec2 < 0.8 * ep, w + ": compensated output error " + ec2 + " vs plain " + ep);
        }
    }

    /** The output of the node consuming {@code weight}, run in ONNX Runtime on the images {@code px}. */
    private static float[] output(Model m, String weight, float[] px) {
        Model c = m.copy();
        String out = c.graph().nodes().stream().filter(n -> n.inputs().contains(weight)).findFirst().orElseThrow().outputs().getFirst();
        c.graph().outputs().clear();
        c.graph().outputs().add(new ValueInfo(out, DType.FLOAT, null));
        try (OrtRunner ort = new OrtRunner(c, 1)) {
            return ort.run(Map.of(c.graph().runtimeInputs().getFirst().name(), Tensor.of(px.clone(), px.length / 784, 1, 28, 28))).get(out).floats();
        }
    }
}
