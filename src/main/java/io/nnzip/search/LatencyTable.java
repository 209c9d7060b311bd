package io.nnzip.search;

import io.nnzip.ir.NnzipException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Measured latency ratios kept in a text file ({@code --latency-table}) so that another process reuses them instead
 * of measuring the same network again: one line per network, {@code key ratio runs keep}, where the key is a hash of
 * the measurement's settings (batch, threads, clock), the original's MACs and the channels the prune removes. A
 * {@code --method uniform} run given the file a width search wrote (or the other way round) walks the same uniform
 * calibration and keeps the same uniform prune; the final latency check is always measured anew.
 */
final class LatencyTable {
    private final Path file;
    private final String settings;
    private final Map<String, Double> ratios = new LinkedHashMap<>();
    /** The file's lines as read plus those added, rewritten whole on each addition (temp file + rename). */
    private final java.util.List<String> lines = new java.util.ArrayList<>();
    private int read, written;

    /** {@code settings}: what the ratios depend on besides the network (batch, threads, clock, the original). */
    LatencyTable(Path file, String settings) {
        this.file = file;
        this.settings = settings;
        if (file == null || !Files.exists(file)) return;
        try {
            int line = 0;
            for (String s : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                line++;
                if (s.isBlank() || s.startsWith("#")) continue;
                String[] f = s.strip().split("\\s+");
                if (f.length < 2) throw new NnzipException("--latency-table " + file + " line " + line + ": expected 'key ratio runs keep', got '" + s + "'");
                ratios.put(f[0], Double.parseDouble(f[1]));
                lines.add(s.strip());
            }
        } catch (IOException | NumberFormatException e) {
            throw new NnzipException("--latency-table " + file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** A table kept in memory only. */
    static LatencyTable none() { return new LatencyTable(null, ""); }

    String key(String network) {
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest((settings + "|" + network).getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(h, 0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The ratio recorded for this network, or null. */
    Double get(String network) {
        Double r = file == null ? null : ratios.get(key(network));
        if (r != null) read++;
        return r;
    }

    void put(String network, double ratio, int runs, String keep) {
        if (file == null) return;
        String k = key(network);
        ratios.put(k, ratio);
        written++;
        lines.add(k + " " + ratio + " " + runs + " " + keep.replace(" ", ""));
        io.nnzip.util.AtomicFiles.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    Map<String, Object> toJson() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("file", file == null ? null : file.toString());
        j.put("read", read);
        j.put("written", written);
        return j;
    }
}
