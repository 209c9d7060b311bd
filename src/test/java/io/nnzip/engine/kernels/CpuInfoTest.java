package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Cache-size strings as sysfs and /proc/cpuinfo write them, and the detected sizes staying in a sane range. */
class CpuInfoTest {
    @Test
    void sizes() {
        assertEquals(48 << 10, CpuInfo.parseSize("48K"));
        assertEquals(1024 << 10, CpuInfo.parseSize("1024 KB"));
        assertEquals(2 << 20, CpuInfo.parseSize("2048K"));
        assertEquals(1 << 20, CpuInfo.parseSize("1M"));
        assertEquals(32L << 20, CpuInfo.parseSize("32 MiB"));
        assertEquals(-1, CpuInfo.parseSize("n/a"));
    }

    @Test
    void detected() {
        CpuInfo c = CpuInfo.get();
        assertTrue(c.l1d >= 16 << 10 && c.l1d <= 1 << 20, CpuInfo.describe());
        assertTrue(c.l2 >= 128 << 10 && c.l2 <= 64 << 20, CpuInfo.describe());
    }
}
