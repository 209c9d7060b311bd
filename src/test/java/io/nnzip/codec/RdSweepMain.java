package io.nnzip.codec;

import io.nnzip.codec.rd.DatasetProbe;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Size and decoded test accuracy (Fashion-MNIST, all 10,000 images, ONNX Runtime) of a model coded with each recipe
 * given: {@code RdSweepMain model.onnx "qp=-8;qp[fc6.weight]=0" ...}. The recipes are the strings .nnz headers record.
 */
final class RdSweepMain {
    public static void main(String[] a) throws Exception {
        Model m = OnnxReader.read(Path.of(a[0]));
        long onnx = Files.size(Path.of(a[0]));
        DatasetProbe probe = new DatasetProbe(Datasets.load("fashion-mnist", "test"), Normalization.resolve(null, m), 1);
        System.out.printf("original: accuracy %.2f%%%n", 100 * probe.accuracy(m));
        for (int i = 1; i < a.length; i++) {
            byte[] nnz = NnzCodec.encode(m, CodecOptions.parseRecipe(a[i], 1));
            System.out.printf("%s: %d bytes (%.2f%% of the ONNX file), accuracy %.2f%%%n", a[i], nnz.length, 100.0 * nnz.length / onnx,
                    100 * probe.accuracy(NnzCodec.decode(nnz)));
        }
    }
}
