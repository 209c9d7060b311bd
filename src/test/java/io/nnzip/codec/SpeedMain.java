package io.nnzip.codec;

import io.nnzip.ir.Model;
import java.lang.management.ManagementFactory;

/** Quick single-thread throughput check per CPU-second for one QP: {@code SpeedMain QP}. */
final class SpeedMain {
    static long cpu() { return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime(); }

    public static void main(String[] a) {
        Model m = SyntheticModels.cnn(7, 64, 128, 512);
        long raw = io.nnzip.codec.bench.CodecBenchmark.rawFloats(m).length;
        CodecOptions o = (a[0].equals("lossless") ? CodecOptions.losslessMode() : CodecOptions.ofQp(Integer.parseInt(a[0]))).withThreads(1);
        for (int rep = 0; rep < 4; rep++) {
            long c0 = cpu();
            byte[] nnz = NnzCodec.encode(m, o);
            long c1 = cpu();
            NnzCodec.decode(nnz);
            long c2 = cpu();
            Object ratio = ((java.util.Map<?, ?>) NnzInspector.inspect(nnz, "speed").get("summary")).get("level_bits_over_entropy");
            System.out.printf("%s: %d bytes, enc %.0f MB/cpu-s, dec %.0f MB/cpu-s, level bits/H0 %s%n", o.recipe(), nnz.length,
                    raw / 1e3 / ((c1 - c0) / 1e6), raw / 1e3 / ((c2 - c1) / 1e6), ratio);
        }
    }
}
