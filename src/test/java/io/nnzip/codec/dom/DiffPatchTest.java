package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.StepAssertions;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.codec.TensorReport;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxWriter;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiffPatchTest {
    private static final CodecOptions O = CodecOptions.defaults();

    @Test
    void updateIsSmallAndPatchMatchesEncodeWithinTheStep() {
        Model base = SyntheticModels.cnn(1, 16, 32, 64);
        Model next = SyntheticModels.finetune(base, 2, 0.02);
        byte[] update = NnzCodec.diff(base, next, O);
        byte[] full = NnzCodec.encode(next, O);
        assertTrue(update.length * 5 <= full.length, "update " + update.length + " vs encode " + full.length);
        // The receiver holds decode(encode(base)); patching it gives the new model within the step ...
        Model received = NnzCodec.decode(NnzCodec.encode(base, O));
        Model patched = NnzCodec.patch(received, update);
        StepAssertions.assertWithinStep(next, patched, O);
        StepAssertions.assertWithinStep(next, NnzCodec.decode(full), O);
        // ... and so does patching the original base, which the patcher first re-codes with the update's recipe.
        assertArrayEquals(OnnxWriter.toBytes(patched), OnnxWriter.toBytes(NnzCodec.patch(base, update)));
    }

    @Test
    void changedBiasesAreCodedAsDifferencesToTheReceiversCopy() {
        Model base = SyntheticModels.cnn(1, 16, 32, 64);
        // Only the biases move: by about 2 % of their values (plus a little for zero entries).
        Model next = base.copy(), tiny = base.copy();
        java.util.Random r = new java.util.Random(7);
        for (String k : List.of("conv1.bias", "conv2.bias", "fc1.bias", "fc2.bias")) {
            float[] b = base.graph().initializer(k).floats(), n = b.clone(), t = b.clone();
            for (int i = 0; i < n.length; i++) {
                n[i] += (float) (0.02 * (Math.abs(b[i]) + 0.01) * r.nextGaussian());
                t[i] += (float) (1e-6 * Math.abs(b[i]) * r.nextGaussian());
            }
            next.graph().initializers().put(k, Tensor.of(n, b.length));
            tiny.graph().initializers().put(k, Tensor.of(t, b.length));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<TensorReport> upd = DiffEncoder.diff(base, next, O, true, out).tensors();
        List<TensorReport> alone = io.nnzip.codec.ModelEncoder.encode(io.nnzip.codec.TensorSource.of(next), O, new ByteArrayOutputStream());
        int differences = 0;
        for (TensorReport t : upd) {
            if (!t.name().endsWith(".bias")) {
                assertEquals("skipped", t.method(), t.name());
                continue;
            }
            TensorReport a = alone.stream().filter(x -> x.name().equals(t.name())).findFirst().orElseThrow();
            assertEquals("float-reduced", a.method(), t.name());
            // The smaller of the two codings is sent: the difference, or (a few values, format version 8) the bias alone.
            if (t.method().equals("dom-uniform")) {
                differences++;
                assertTrue(t.bytes() < a.bytes(), t.name() + ": difference " + t.bytes() + " B vs coded alone " + a.bytes() + " B");
            } else assertEquals(a, t, t.name());
        }
        assertTrue(differences >= 2, differences + " biases coded as differences");
        Model patched = NnzCodec.patch(base, out.toByteArray());
        StepAssertions.assertWithinStep(next, patched, O);
        // Changes far below the step leave the receiver's copy as it is: nothing is sent for them.
        for (TensorReport t : DiffEncoder.diff(base, tiny, O, true, new ByteArrayOutputStream()).tensors())
            assertEquals("skipped", t.method(), t.name());
    }

    @Test
    void wrongBaseIsRefused() {
        Model base = SyntheticModels.cnn(1, 4, 8, 16);
        byte[] update = NnzCodec.diff(base, SyntheticModels.finetune(base, 2, 0.05), O);
        Model other = SyntheticModels.cnn(9, 4, 8, 16);
        NnzipException e = assertThrows(NnzipException.class, () -> NnzCodec.patch(other, update));
        assertTrue(e.getMessage().contains("was made for base"), e.getMessage());
    }

    @Test
    void unchangedTensorsAreSkippedAndChangedTopologyIsCarried() {
        Model base = SyntheticModels.cnn(1, 4, 8, 16);
        Model next = base.copy();
        float[] w = next.graph().initializer("fc1.weight").floats().clone();
        for (int i = 0; i < w.length; i += 3) w[i] += 0.2f;
        next.graph().initializers().put("fc1.weight", Tensor.of(w, next.graph().initializer("fc1.weight").shape()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<TensorReport> reps = DiffEncoder.diff(base, next, O, false, out).tensors();
        for (TensorReport r : reps) assertEquals(r.name().equals("fc1.weight") ? "dom-uniform" : "skipped", r.method(), r.name());
        StepAssertions.assertWithinStep(next, NnzCodec.patch(base, out.toByteArray()), O);

        // A new layer: scale the logits by a learned vector (new initializer, new node, renamed output).
        Model grown = next.copy();
        grown.graph().initializers().put("head.scale", Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10));
        Node last = grown.graph().nodes().get(grown.graph().nodes().size() - 1);
        last.outputs().set(0, "logits_raw");
        grown.graph().nodes().add(new Node("head", "Mul", List.of("logits_raw", "head.scale"), List.of("logits")));
        Model patched = NnzCodec.patch(base, NnzCodec.diff(base, grown, O));
        assertEquals(grown.graph().nodes(), patched.graph().nodes());
        assertEquals(grown.graph().initializer("head.scale"), patched.graph().initializer("head.scale"));
        StepAssertions.assertWithinStep(grown, patched, O);
    }

    @Test
    void chainedUpdatesStayInLockstep() {
        Model v0 = SyntheticModels.cnn(1, 8, 16, 32);
        Model v1 = SyntheticModels.finetune(v0, 2, 0.03), v2 = SyntheticModels.finetune(v1, 3, 0.03);
        Model r0 = NnzCodec.decode(NnzCodec.encode(v0, O));
        Model r1 = NnzCodec.patch(r0, NnzCodec.diff(v0, v1, O));
        // The sender continues from what the receiver has (as received), so errors never accumulate.
        Model r2 = NnzCodec.patch(r1, DiffEncoder.diff(r1, v2, O, true));
        StepAssertions.assertWithinStep(v2, r2, O);
    }

    @Test
    void losslessUpdatesAreExact() {
        Model base = SyntheticModels.cnn(1, 4, 8, 16);
        Model next = SyntheticModels.finetune(base, 2, 0.05);
        Model patched = NnzCodec.patch(base, NnzCodec.diff(base, next, CodecOptions.losslessMode()));
        assertArrayEquals(OnnxWriter.toBytes(next), OnnxWriter.toBytes(patched));
    }
}
