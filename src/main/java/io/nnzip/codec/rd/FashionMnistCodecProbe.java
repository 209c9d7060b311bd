package io.nnzip.codec.rd;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Codec-private accuracy probe on Fashion-MNIST (t10k IDX files, gzip), run in ONNX Runtime. Kept minimal and
 * inside the codec so {@code --max-drop} works on its own; the shared dataset code can replace it behind
 * {@link AccuracyProbe}. Pixels are scaled to [0,1]; the model's input is fed as (N,1,28,28) or (N,784).
 */
public final class FashionMnistCodecProbe implements AccuracyProbe {
    private final float[] images;
    private final byte[] labels;
    private final int n;

    public FashionMnistCodecProbe(Path dir, int limit) {
        Path img = dir.resolve("t10k-images-idx3-ubyte.gz"), lab = dir.resolve("t10k-labels-idx1-ubyte.gz");
        if (!Files.exists(img) || !Files.exists(lab)) throw new NnzipException("--data " + dir + ": expected t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz there");
        byte[] pix = idx(img, 2051, 3);
        labels = idx(lab, 2049, 1);
        n = Math.min(limit <= 0 ? labels.length : limit, labels.length);
        images = new float[n * 784];
        for (int i = 0; i < images.length; i++) images[i] = (pix[i] & 0xFF) / 255f;
    }

    private static byte[] idx(Path p, int magic, int rank) {
        try (InputStream raw = Files.newInputStream(p); DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            if (in.readInt() != magic) throw new NnzipException(p + ": not an IDX file with magic " + magic);
            long count = 1;
            for (int i = 0; i < rank; i++) count *= in.readInt();
            if (count <= 0 || count > 100_000_000) throw new NnzipException(p + ": implausible IDX size " + count);
            byte[] b = new byte[(int) count];
            in.readFully(b);
            return b;
        } catch (IOException e) {
            throw new NnzipException("cannot read " + p + ": " + e.getMessage());
        }
    }

    public int size() { return n; }

    @Override
    public double accuracy(Model m) {
        ValueInfo in = m.graph().runtimeInputs().get(0);
        boolean flat = in.dims() != null && in.dims().size() == 2;
        int batch = 1000, correct = 0;
        try (OrtRunner r = new OrtRunner(m, 1)) {
            for (int s = 0; s < n; s += batch) {
                int b = Math.min(batch, n - s);
                float[] x = java.util.Arrays.copyOfRange(images, s * 784, (s + b) * 784);
                Tensor t = flat ? Tensor.of(x, b, 784) : Tensor.of(x, b, 1, 28, 28);
                Map<String, Tensor> out = r.run(Map.of(in.name(), t));
                float[] logits = out.values().iterator().next().toFloats();
                int k = logits.length / b;
                for (int i = 0; i < b; i++) {
                    int arg = 0;
                    for (int j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + arg]) arg = j;
                    if (arg == labels[s + i]) correct++;
                }
            }
        }
        return (double) correct / n;
    }
}
