package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Model;
import io.nnzip.models.Models;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SlimmingTest {
    @Test
    void regexMatchesEveryBatchNormScaleAndNothingElse() {
        Model m = Models.create("cnn", 1f, 10, 1);
        Pattern p = Pattern.compile(Slimming.bnScaleRegex(m.graph()));
        var scales = Slimming.bnScales(m.graph());
        assertEquals(3, scales.size());
        for (String name : m.graph().initializers().keySet()) assertEquals(scales.contains(name), p.matcher(name).find(), name);
        assertNull(Slimming.bnScaleRegex(Models.create("mlp", 1f, 10, 1).graph()));
    }
}
