package io.nnzip.codec;

import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.util.AtomicFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;

/**
 * Writes the fixtures of the current format version into src/test/resources/codec/vN (run once, by hand, when
 * version N becomes current: v1 to v6 were written this way (v5 with a second argument, for wide-qp-14.nnz; v6 with a third, for rows-update-qp-8.nnz; v7 with a fourth, for columns-update-qp-8.nnz; v8 with the same four); v3's models also hold float16 and bfloat16
 * initializers, v4's a uint8 k-means index tensor (coded as int-symbols); never re-run to "fix" a failing {@link FixturesTest}:
 * the point is that old streams keep decoding).
 */
final class FixtureWriter {
    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        Model base = SyntheticModels.withIndexTensor(SyntheticModels.withHalfTensors(SyntheticModels.cnn(21, 2, 4, 8), 24), 25);
        Model next = SyntheticModels.finetune(base, 22, 0.05);
        Model child = SyntheticModels.finetune(base, 23, 0.05);
        OnnxWriter.write(base, dir.resolve("base.onnx"));
        OnnxWriter.write(next, dir.resolve("next.onnx"));
        OnnxWriter.write(child, dir.resolve("child.onnx"));
        CodecOptions lossy = CodecOptions.ofQp(-8).withThreads(1);
        AtomicFiles.write(dir.resolve("lossless.nnz"), NnzCodec.encode(base, CodecOptions.losslessMode().withThreads(1)));
        AtomicFiles.write(dir.resolve("lossy-qp-8.nnz"), NnzCodec.encode(base, lossy));
        AtomicFiles.write(dir.resolve("update-qp-8.nnz"), NnzCodec.diff(base, next, lossy));
        // From version 5: a wider model at a fine step, where dependent quantization wins (FixturesTest checks it).
        if (args.length > 1) {
            Model wide = SyntheticModels.cnn(26, 2, 4, 64);
            OnnxWriter.write(wide, dir.resolve("wide.onnx"));
            AtomicFiles.write(dir.resolve("wide-qp-14.nnz"), NnzCodec.encode(wide, CodecOptions.ofQp(-14).withThreads(1)));
        }
        // From version 6: an update in which only some rows moved (row skip flags), against the decoded lossy stream.
        if (args.length > 2) {
            Model received = NnzCodec.decode(NnzCodec.encode(base, lossy));
            Model rows = received.copy();
            io.nnzip.ir.Tensor t = rows.graph().initializer("fc1.weight");
            float[] w = t.floats().clone();
            java.util.Random r = new java.util.Random(27);
            for (int i = 0; i < w.length * 3 / 8; i++) w[i] += (float) (0.1 * r.nextGaussian()); // rows 0..2 of 8
            rows.graph().initializers().put("fc1.weight", new io.nnzip.ir.Tensor(t.dtype(), t.shape(), w));
            OnnxWriter.write(rows, dir.resolve("rows.onnx"));
            AtomicFiles.write(dir.resolve("rows-update-qp-8.nnz"), io.nnzip.codec.dom.DiffEncoder.diff(received, rows, lossy, true));
        }
        // From version 7: an update whose change sits in one input column in 8 of a wider fc1 (level scheme 2), against
        // the decoded lossy stream of that model (kept as columns-received.onnx).
        if (args.length > 3) {
            Model received = NnzCodec.decode(NnzCodec.encode(SyntheticModels.cnn(29, 2, 4, 64), lossy));
            OnnxWriter.write(received, dir.resolve("columns-received.onnx"));
            Model cols = received.copy();
            io.nnzip.ir.Tensor t = cols.graph().initializer("fc1.weight");
            float[] w = t.floats().clone();
            int rowLen = t.shape()[1];
            java.util.Random r = new java.util.Random(28);
            for (int i = 0; i < w.length; i++) if ((i % rowLen) % 8 == 5) w[i] += (float) (0.1 * r.nextGaussian());
            cols.graph().initializers().put("fc1.weight", new io.nnzip.ir.Tensor(t.dtype(), t.shape(), w));
            OnnxWriter.write(cols, dir.resolve("columns.onnx"));
            AtomicFiles.write(dir.resolve("columns-update-qp-8.nnz"), io.nnzip.codec.dom.DiffEncoder.diff(received, cols, lossy, true));
        }
        LinkedHashMap<String, Model> ms = new LinkedHashMap<>();
        ms.put("base.onnx", base);
        ms.put("child.onnx", child);
        AtomicFiles.write(dir.resolve("bundle-qp-8.nnz"), NnzCodec.pack(ms, "base.onnx", lossy));
    }
}
