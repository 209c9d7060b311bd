package io.nnzip.engine.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the dense kernels size their blocks by, read once from the machine: per-core L1d and L2 sizes, vendor,
 * family/model and CPU flags.
 * <ul>
 *   <li>Cache sizes come from {@code /sys/devices/system/cpu/cpu0/cache/index*} (level, type, size).</li>
 *   <li>Where that directory is missing (some VMs), {@code /proc/cpuinfo}'s "cache size" is used: on AMD it is the
 *       per-core L2, on Intel the shared last level (so L2 stays at its default).</li>
 *   <li>L1d then defaults to 48 KiB on the AVX-512 cores that have it (AMD family ≥ 25 model Zen 4/5 parts report
 *       32/48 KiB; Intel family 6 with AVX-512 since Ice Lake has 48 KiB), otherwise 32 KiB; L2 defaults to 1 MiB.</li>
 * </ul>
 * {@code -Dnnzip.l1d=BYTES} and {@code -Dnnzip.l2=BYTES} override (for experiments).
 */
public final class CpuInfo {
    public enum Vendor { AMD, INTEL, OTHER }

    public final Vendor vendor;
    public final int family, model;
    public final long l1d, l2;
    /** Where the cache sizes came from: "sysfs", "cpuinfo" or "default". */
    public final String source;
    public final Set<String> flags;

    private static final CpuInfo THIS = detect();

    public static CpuInfo get() { return THIS; }

    CpuInfo(Vendor vendor, int family, int model, long l1d, long l2, String source, Set<String> flags) {
        this.vendor = vendor;
        this.family = family;
        this.model = model;
        this.l1d = l1d;
        this.l2 = l2;
        this.source = source;
        this.flags = flags;
    }

    public boolean has(String flag) { return flags.contains(flag); }

    public static String describe() {
        CpuInfo c = THIS;
        return String.format(Locale.ROOT, "cpu: %s family %d model %d, L1d %d KiB, L2 %d KiB (%s), avx512f %s", c.vendor, c.family, c.model,
                c.l1d >> 10, c.l2 >> 10, c.source, c.has("avx512f"));
    }

    static CpuInfo detect() {
        Vendor vendor = Vendor.OTHER;
        int family = -1, model = -1;
        long cpuinfoCache = -1;
        Set<String> flags = new HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    if (family >= 0) break; // end of the first processor's block
                    continue;
                }
                String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                switch (key) {
                    case "vendor_id" -> vendor = value.contains("AMD") ? Vendor.AMD : value.contains("Intel") ? Vendor.INTEL : Vendor.OTHER;
                    case "cpu family" -> family = parseInt(value);
                    case "model" -> model = parseInt(value);
                    case "cache size" -> cpuinfoCache = parseSize(value);
                    case "flags" -> flags.addAll(List.of(value.split("\\s+")));
                    default -> { }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: defaults below
        }
        long l1d = -1, l2 = -1;
        String source = "default";
        Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
        if (Files.isDirectory(dir)) {
            for (int i = 0; i < 8; i++) {
                Path idx = dir.resolve("index" + i);
                if (!Files.isDirectory(idx)) break;
                try {
                    int level = parseInt(Files.readString(idx.resolve("level")).trim());
                    String type = Files.readString(idx.resolve("type")).trim();
                    long size = parseSize(Files.readString(idx.resolve("size")).trim());
                    if (level == 1 && type.equals("Data")) l1d = size;
                    if (level == 2 && !type.equals("Instruction")) l2 = size;
                } catch (IOException | RuntimeException e) {
                    // skip this index
                }
            }
            if (l1d > 0 || l2 > 0) source = "sysfs";
        }
        boolean avx512 = flags.contains("avx512f");
        if (l2 <= 0 && vendor == Vendor.AMD && cpuinfoCache > 0) {
            l2 = cpuinfoCache;
            source = "cpuinfo";
        }
        if (l1d <= 0) l1d = avx512 && (vendor == Vendor.INTEL || vendor == Vendor.AMD && family >= 26) ? 48 << 10 : 32 << 10;
        if (l2 <= 0) l2 = 1 << 20;
        l1d = Long.getLong("nnzip.l1d", l1d);
        l2 = Long.getLong("nnzip.l2", l2);
        return new CpuInfo(vendor, family, model, l1d, l2, source, Set.copyOf(flags));
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** "48K", "1024 KB", "2048K", "1M" -> bytes; -1 when unreadable. */
    static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "").trim();
        long mult = 1;
        if (t.endsWith("K")) mult = 1 << 10;
        else if (t.endsWith("M")) mult = 1 << 20;
        else if (t.endsWith("G")) mult = 1L << 30;
        if (mult > 1) t = t.substring(0, t.length() - 1).trim();
        try {
            return Long.parseLong(t) * mult;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
