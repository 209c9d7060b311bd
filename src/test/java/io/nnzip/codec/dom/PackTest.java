package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.StepAssertions;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.Model;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

class PackTest {
    @Test
    void autoRootPicksTheParentAndTheBundleIsSmall() {
        CodecOptions o = CodecOptions.defaults();
        Model parent = SyntheticModels.cnn(1, 16, 32, 64);
        LinkedHashMap<String, Model> ms = new LinkedHashMap<>();
        ms.put("ft1.onnx", SyntheticModels.finetune(parent, 11, 0.02));
        ms.put("ft2.onnx", SyntheticModels.finetune(parent, 12, 0.02));
        ms.put("parent.onnx", parent);
        ms.put("ft3.onnx", SyntheticModels.finetune(parent, 13, 0.02));
        RootChooser.Estimate est = RootChooser.choose(ms, o);
        assertEquals("parent.onnx", est.root(), "estimates " + est.bitsByRoot());
        byte[] bundle = NnzCodec.pack(ms, "auto", o);
        long alone = 0;
        for (Model m : ms.values()) alone += NnzCodec.encode(m, o).length;
        assertTrue(bundle.length <= 0.6 * alone, "bundle " + bundle.length + " vs alone " + alone);
        LinkedHashMap<String, Model> back = NnzCodec.unpack(bundle);
        assertEquals(List.of("parent.onnx", "ft1.onnx", "ft2.onnx", "ft3.onnx"), List.copyOf(back.keySet()));
        for (String k : ms.keySet()) StepAssertions.assertWithinStep(ms.get(k), back.get(k), o);
    }
}
