package io.nnzip.codec;

import io.nnzip.ir.Model;

final class SmokeMain {
    public static void main(String[] a) {
        Model m = SyntheticModels.cnn(1, 32, 64, 128);
        long raw = 0;
        for (var t : m.graph().initializers().values()) raw += t.byteSize();
        for (int rep = 0; rep < 12; rep++) {
            long t0 = System.nanoTime();
            byte[] ll = NnzCodec.encode(m, CodecOptions.losslessMode().withThreads(1));
            long t1 = System.nanoTime();
            Model d = NnzCodec.decode(ll);
            long t2 = System.nanoTime();
            byte[] ly = NnzCodec.encode(m, CodecOptions.defaults().withThreads(1));
            long t3 = System.nanoTime();
            Model d2 = NnzCodec.decode(ly);
            long t4 = System.nanoTime();
            System.out.printf("raw %d lossless %d (%.3fx) eq=%s enc %.1f MB/s dec %.1f MB/s | lossy %d (%.2f%%) enc %.1f dec %.1f MB/s%n", raw, ll.length, raw / (double) ll.length, d.equals(m),
                    raw / 1e6 / ((t1 - t0) / 1e9), raw / 1e6 / ((t2 - t1) / 1e9), ly.length, 100.0 * ly.length / raw, raw / 1e6 / ((t3 - t2) / 1e9), raw / 1e6 / ((t4 - t3) / 1e9));
        }
    }
}
