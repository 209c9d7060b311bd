package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Hand counts for the kept width under --round-to: a group never drops below a multiple of round-to unless kept whole. */
class RoundToKeepTest {
    @Test
    void groupAtMostRoundToStaysWhole() {
        // 16 channels, amount 0.44: floor(7.04) = 7 go, 9 stay; with round-to 16 the only multiple ≤ 16 is 16 itself
        assertEquals(16, StructuredPruner.kept(16, 0.44, 16));
        // 12 channels under round-to 16: no multiple of 16 fits, so the group stays whole
        assertEquals(12, StructuredPruner.kept(12, 0.5, 16));
        // 8 channels, round-to 8, amount 0.9: 8 - 7 = 1 would stay; rounded up to 8
        assertEquals(8, StructuredPruner.kept(8, 0.9, 8));
    }

    @Test
    void largerGroupsRoundUpToAMultiple() {
        assertEquals(16, StructuredPruner.kept(32, 0.5, 16));   // 16 stay, already a multiple
        assertEquals(16, StructuredPruner.kept(20, 0.5, 16));   // 10 stay -> 16
        assertEquals(20, StructuredPruner.kept(20, 0.1, 16));   // 18 stay -> 32, capped at 20
        assertEquals(24, StructuredPruner.kept(48, 0.6, 8));    // 48 - 28 = 20 -> 24
        assertEquals(9, StructuredPruner.kept(16, 0.44, 1));    // round-to 1: exact
    }
}
