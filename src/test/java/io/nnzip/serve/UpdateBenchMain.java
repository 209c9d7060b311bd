package io.nnzip.serve;

import com.github.luben.zstd.Zstd;
import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.dom.DiffEncoder;
import io.nnzip.codec.dom.Patcher;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Update-coding figures for BENCHMARKS.md (not a test). DIR holds what scripts/bench/train_update_cnn.py wrote:
 * parent/next/child0..2.onnx and test.npz. The receiver holds decode(encode(parent)); the update codes next against
 * it; baselines code the float32 difference with zstd, and ZipNN-style (XOR of the float bits, bytes grouped by
 * position, zstd per group). Accuracy is top-1 on the test split in ONNX Runtime.
 * Usage: UpdateBenchMain DIR [QP]
 */
public final class UpdateBenchMain {
    public static void main(String[] a) throws Exception {
        Path dir = Path.of(a[0]);
        CodecOptions o = CodecOptions.ofQp(a.length > 1 ? Integer.parseInt(a[1]) : CodecOptions.DEFAULT_QP);
        Model parent = OnnxReader.read(dir.resolve("parent.onnx")), next = OnnxReader.read(dir.resolve("next.onnx"));
        Map<String, Tensor> test = Npy.readNpz(dir.resolve("test.npz"));
        long floatBytes = ModelRepository.floatBytes(next);
        byte[] full = NnzCodec.encode(next, o);
        Model have = NnzCodec.decode(NnzCodec.encode(parent, o));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DiffEncoder.diff(have, next, o, true, out);
        byte[] upd = out.toByteArray();
        Model patched = Patcher.patch(have, upd, "update", 2);
        System.out.printf("recipe %s; float32 %d B%n", o.recipe(), floatBytes);
        System.out.printf("next coded alone: %d B (%.2f %% of float32)%n", full.length, 100.0 * full.length / floatBytes);
        System.out.printf("update vs decoded parent: %d B = %.3fx coding alone = %.3f %% of float32%n", upd.length, (double) upd.length / full.length, 100.0 * upd.length / floatBytes);
        byte[] diff = floatBytes(next, parent, false), xor = floatBytes(next, parent, true);
        long zd = Zstd.compress(diff, 19).length, zg = grouped(xor);
        System.out.printf("zstd-19 of float32 difference (lossless): %d B = %.2f %% of float32%n", zd, 100.0 * zd / floatBytes);
        System.out.printf("ZipNN-style XOR + byte grouping + zstd-19 (lossless): %d B = %.2f %% of float32%n", zg, 100.0 * zg / floatBytes);
        double an = accuracy(next, test), ap = accuracy(patched, test), af = accuracy(NnzCodec.decode(full), test), aparent = accuracy(parent, test);
        System.out.printf("accuracy (ORT, test split): parent %.2f, next %.2f, next coded alone %.2f, patched %.2f (patched - next = %+.2f pts)%n", aparent, an, af, ap, ap - an);
        if (!java.nio.file.Files.exists(dir.resolve("child2.onnx"))) {
            System.out.println("children not trained: no pack figures");
            return;
        }
        LinkedHashMap<String, Model> kids = new LinkedHashMap<>();
        long alone = 0;
        for (int c = 0; c < 3; c++) {
            Model k = OnnxReader.read(dir.resolve("child" + c + ".onnx"));
            kids.put("child" + c, k);
            alone += NnzCodec.encode(k, o).length;
        }
        long packed = NnzCodec.pack(kids, "auto", o).length;
        System.out.printf("3 children: coded alone %d B, packed --root auto %d B = %.3fx%n", alone, packed, (double) packed / alone);
        LinkedHashMap<String, Model> fam = new LinkedHashMap<>();
        fam.put("parent", parent);
        fam.putAll(kids);
        long famAlone = alone + NnzCodec.encode(parent, o).length, famPacked = NnzCodec.pack(fam, "auto", o).length;
        System.out.printf("parent + 3 children: coded alone %d B, packed --root auto %d B = %.3fx%n", famAlone, famPacked, (double) famPacked / famAlone);
    }

    // All float initializers of a, minus (or XOR) b's, as little-endian float32 bytes.
    static byte[] floatBytes(Model a, Model b, boolean xor) {
        java.io.ByteArrayOutputStream s = new java.io.ByteArrayOutputStream();
        for (var e : a.graph().initializers().entrySet()) {
            if (e.getValue().dtype() != DType.FLOAT) continue;
            float[] x = e.getValue().floats(), y = b.graph().initializer(e.getKey()).floats();
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(4 * x.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < x.length; i++)
                bb.putInt(xor ? Float.floatToRawIntBits(x[i]) ^ Float.floatToRawIntBits(y[i]) : Float.floatToRawIntBits(x[i] - y[i]));
            s.writeBytes(bb.array());
        }
        return s.toByteArray();
    }

    static long grouped(byte[] b) {
        long total = 0;
        for (int k = 0; k < 4; k++) {
            byte[] g = new byte[b.length / 4];
            for (int i = 0; i < g.length; i++) g[i] = b[4 * i + k];
            total += Zstd.compress(g, 19).length;
        }
        return total;
    }

    static double accuracy(Model m, Map<String, Tensor> test) {
        Tensor x = test.get("x");
        long[] y = (long[]) test.get("y").data();
        int n = y.length, batch = 1000, per = 28 * 28, ok = 0;
        float[] all = x.floats();
        try (OrtRunner ort = new OrtRunner(m, 2)) {
            String in = ort.inputNames().iterator().next();
            for (int s = 0; s < n; s += batch) {
                int b = Math.min(batch, n - s);
                float[] xs = java.util.Arrays.copyOfRange(all, s * per, (s + b) * per);
                Tensor logits = ort.run(Map.of(in, new Tensor(DType.FLOAT, new int[] {b, 1, 28, 28}, xs))).values().iterator().next();
                float[] l = logits.floats();
                for (int i = 0; i < b; i++) {
                    int arg = 0;
                    for (int c = 1; c < 10; c++) if (l[i * 10 + c] > l[i * 10 + arg]) arg = c;
                    if (arg == y[s + i]) ok++;
                }
            }
        }
        return 100.0 * ok / n;
    }
}
