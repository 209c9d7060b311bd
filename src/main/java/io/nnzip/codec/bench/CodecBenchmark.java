package io.nnzip.codec.bench;

import com.github.luben.zstd.Zstd;
import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.NnzInspector;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.TensorProtos;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * Measures the codec on one model, side by side with general-purpose compressors on the same raw float32
 * tensors: zstd level 19 (zstd-jni) and xz preset 9. Reports sizes, single-thread encode/decode throughput in MB/s
 * of float32 weights (best of {@code reps}) both per wall-clock second and per process CPU-second (the fair figure
 * on a shared, oversubscribed machine), multi-thread encode throughput, and the level code length relative to
 * the order-0 entropy of the levels (from {@link NnzInspector}).
 */
public final class CodecBenchmark {
    private CodecBenchmark() {}

    public static Map<String, Object> run(Model m, int reps, int threads) {
        byte[] raw = rawFloats(m);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("float32_bytes", raw.length);
        long t0 = System.nanoTime(), c0 = cpu();
        byte[] z = Zstd.compress(raw, 19);
        r.put("zstd19_bytes", z.length);
        r.put("zstd19_encode_mb_s", mbps(raw.length, System.nanoTime() - t0));
        r.put("zstd19_encode_mb_per_cpu_s", mbps(raw.length, cpu() - c0));
        long zd = Long.MAX_VALUE, zdc = Long.MAX_VALUE;
        for (int i = 0; i < Math.max(3, reps); i++) {
            t0 = System.nanoTime();
            c0 = cpu();
            if (Zstd.decompress(z, raw.length).length != raw.length) throw new IllegalStateException("zstd round trip");
            zd = Math.min(zd, System.nanoTime() - t0);
            zdc = Math.min(zdc, cpu() - c0);
        }
        r.put("zstd19_decode_mb_s", mbps(raw.length, zd));
        r.put("zstd19_decode_mb_per_cpu_s", mbps(raw.length, zdc));
        t0 = System.nanoTime();
        c0 = cpu();
        byte[] x = xz(raw);
        r.put("xz9_bytes", x.length);
        r.put("xz9_encode_mb_s", mbps(raw.length, System.nanoTime() - t0));
        r.put("xz9_encode_mb_per_cpu_s", mbps(raw.length, cpu() - c0));
        Map<String, Object> modes = new LinkedHashMap<>();
        modes.put("lossless", mode(m, CodecOptions.losslessMode(), raw.length, reps, threads));
        modes.put("default_qp" + CodecOptions.DEFAULT_QP, mode(m, CodecOptions.defaults(), raw.length, reps, threads));
        modes.put("qp0", mode(m, CodecOptions.ofQp(0), raw.length, reps, threads));
        modes.put("qp4", mode(m, CodecOptions.ofQp(4), raw.length, reps, threads));
        r.put("modes", modes);
        return r;
    }

    private static Map<String, Object> mode(Model m, CodecOptions o, long rawBytes, int reps, int threads) {
        long bestEnc = Long.MAX_VALUE, bestDec = Long.MAX_VALUE, bestEncMt = Long.MAX_VALUE, cpuEnc = Long.MAX_VALUE, cpuDec = Long.MAX_VALUE;
        byte[] nnz = null;
        for (int i = 0; i < reps; i++) {
            long c0 = cpu(), t0 = System.nanoTime();
            nnz = NnzCodec.encode(m, o.withThreads(1));
            long c1 = cpu(), t1 = System.nanoTime();
            NnzCodec.decode(nnz);
            long c2 = cpu(), t2 = System.nanoTime();
            if (threads > 1) NnzCodec.encode(m, o.withThreads(threads));
            long t3 = System.nanoTime();
            bestEnc = Math.min(bestEnc, t1 - t0);
            bestDec = Math.min(bestDec, t2 - t1);
            bestEncMt = Math.min(bestEncMt, t3 - t2);
            cpuEnc = Math.min(cpuEnc, c1 - c0);
            cpuDec = Math.min(cpuDec, c2 - c1);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("recipe", o.recipe());
        r.put("bytes", nnz.length);
        r.put("percent_of_float32", 100.0 * nnz.length / rawBytes);
        r.put("ratio", (double) rawBytes / nnz.length);
        r.put("encode_mb_s_1thread", mbps(rawBytes, bestEnc));
        r.put("decode_mb_s_1thread", mbps(rawBytes, bestDec));
        // Per CPU-second of the whole process (JIT and GC included): what one dedicated core would do, on a shared machine.
        r.put("encode_mb_per_cpu_s", mbps(rawBytes, cpuEnc));
        r.put("decode_mb_per_cpu_s", mbps(rawBytes, cpuDec));
        if (threads > 1) r.put("encode_mb_s_" + threads + "threads", mbps(rawBytes, bestEncMt));
        @SuppressWarnings("unchecked")
        Map<String, Object> sum = (Map<String, Object>) NnzInspector.inspect(nnz, "bench").get("summary");
        r.put("bits_per_element", sum.get("bits_per_element"));
        r.put("level_bits_over_entropy", sum.get("level_bits_over_entropy"));
        return r;
    }

    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static double mbps(long bytes, long nanos) { return bytes / 1e6 / (nanos / 1e9); }

    /** The model's float tensors as raw little-endian float32, concatenated: what the baselines compress. */
    public static byte[] rawFloats(Model m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Tensor t : m.graph().initializers().values()) if (t.dtype() == DType.FLOAT) out.writeBytes(TensorProtos.toRaw(t));
        return out.toByteArray();
    }

    public static byte[] xz(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (XZOutputStream xz = new XZOutputStream(out, new LZMA2Options(9))) {
            xz.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
