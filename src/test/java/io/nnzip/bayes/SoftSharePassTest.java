package io.nnzip.bayes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.NnzipException;
import io.nnzip.pipeline.Passes;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The soft-share config as recipes and callers build it. */
class SoftSharePassTest {
    @Test
    void theStepBuildsWithValidOptions() {
        SoftSharePass p = (SoftSharePass) Passes.build("soft-share", Map.of("tau", "0.001", "components", 9));
        assertEquals(0.001f, p.tau());
        assertEquals(9, p.components());
    }

    @Test
    void badOptionsAreRefusedWithTheirName() {
        NnzipException e = assertThrows(NnzipException.class, () -> SoftSharePass.of(Map.of("zero_mix", 1.5)));
        assertTrue(e.getMessage().contains("zero_mix"), e.getMessage());
        assertThrows(NnzipException.class, () -> SoftSharePass.of(Map.of("components", 1)));
        assertThrows(NnzipException.class, () -> SoftSharePass.of(Map.of("temperature", 1)));
    }
}
