package io.nnzip.codec;

import io.nnzip.ir.Model;
import java.lang.management.ManagementFactory;

/** Quick single-thread throughput check per CPU-second for one QP: {@code SpeedMain QP [REPS [QUANTIZER [equal|tensor [MODEL.onnx]]]]} (quantizer mode 0..2, see CodecOptions; {@code equal}: the CLI's default equal steps). */
final class SpeedMain {
    static long cpu() { return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime(); }

    public static void main(String[] a) {
        Model m = a.length > 4 ? io.nnzip.onnx.OnnxReader.read(java.nio.file.Path.of(a[4])) : SyntheticModels.cnn(7, 64, 128, 512);
        long raw = io.nnzip.codec.bench.CodecBenchmark.rawFloats(m).length, raw5;
        CodecOptions o = (a[0].equals("lossless") ? CodecOptions.losslessMode() : CodecOptions.ofQp(Integer.parseInt(a[0]))).withThreads(1);
        if (a.length > 2) o = o.withQuantizer(Integer.parseInt(a[2]));
        if (a.length > 3 && a[3].equals("equal")) o = o.withOverrides(EqualSteps.qps(m, o.qp()));
        for (int rep = 0; rep < (a.length > 1 ? Integer.parseInt(a[1]) : 4); rep++) {
            // Several runs per figure: the process CPU clock ticks in ~10 ms steps.
            long c0 = cpu();
            byte[] nnz = null;
            for (int i = 0; i < 5; i++) nnz = NnzCodec.encode(m, o);
            long c1 = cpu();
            for (int i = 0; i < 5; i++) NnzCodec.decode(nnz);
            long c2 = cpu();
            raw5 = raw * 5;
            Object ratio = ((java.util.Map<?, ?>) NnzInspector.inspect(nnz, "speed").get("summary")).get("level_bits_over_entropy");
            System.out.printf("%s: %d bytes, enc %.0f MB/cpu-s, dec %.0f MB/cpu-s, level bits/H0 %s%n", o.recipe(), nnz.length,
                    raw5 / 1e3 / ((c1 - c0) / 1e6), raw5 / 1e3 / ((c2 - c1) / 1e6), ratio);
        }
    }
}
