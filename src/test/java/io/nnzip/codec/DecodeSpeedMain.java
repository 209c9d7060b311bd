package io.nnzip.codec;

import io.nnzip.ir.Model;

/**
 * Decoder throughput per CPU-second at one QP, the encoder out of the timing: {@code DecodeSpeedMain QP QUANTIZER
 * ROUNDS [MODEL.onnx]} codes the model once (equal steps, one thread), then decodes it ROUNDS times in rounds of 10
 * decodes, printing MB of float32 output per CPU-second of the whole process for each round and the best.
 */
final class DecodeSpeedMain {
    public static void main(String[] a) {
        Model m = a.length > 3 ? io.nnzip.onnx.OnnxReader.read(java.nio.file.Path.of(a[3])) : SyntheticModels.cnn(7, 64, 128, 512);
        long raw = io.nnzip.codec.bench.CodecBenchmark.rawFloats(m).length;
        CodecOptions o = CodecOptions.ofQp(Integer.parseInt(a[0])).withThreads(1).withQuantizer(Integer.parseInt(a[1]));
        o = o.withOverrides(EqualSteps.qps(m, o.qp()));
        byte[] nnz = NnzCodec.encode(m, o);
        double best = 0;
        for (int round = 0; round < Integer.parseInt(a[2]); round++) {
            long c0 = SpeedMain.cpu();
            for (int i = 0; i < 10; i++) NnzCodec.decode(nnz);
            double mbs = raw * 10 / 1e3 / ((SpeedMain.cpu() - c0) / 1e6);
            best = Math.max(best, mbs);
            System.out.printf("round %d: decode %.0f MB/cpu-s%n", round, mbs);
        }
        System.out.printf("%s: %d bytes, %d B of float32, best decode %.0f MB/cpu-s%n", o.recipe(), nnz.length, raw, best);
    }
}
