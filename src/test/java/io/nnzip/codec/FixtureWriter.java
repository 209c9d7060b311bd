package io.nnzip.codec;

import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.util.AtomicFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;

/**
 * Writes the fixtures of the current format version into src/test/resources/codec/vN (run once, by hand, when
 * version N becomes current: v1 to v5 were written this way (v5 with a second argument, for wide-qp-14.nnz); v3's models also hold float16 and bfloat16
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
        LinkedHashMap<String, Model> ms = new LinkedHashMap<>();
        ms.put("base.onnx", base);
        ms.put("child.onnx", child);
        AtomicFiles.write(dir.resolve("bundle-qp-8.nnz"), NnzCodec.pack(ms, "base.onnx", lossy));
    }
}
