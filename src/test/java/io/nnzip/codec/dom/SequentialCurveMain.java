package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.rd.DatasetProbe;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A measurement aid: the bytes–divergence curve of per-layer against sequential compensation of an update, at given
 * QP allocations (e.g. the points of a --max-bytes path). Whole update file bytes (DiffEncoder, base as received),
 * the patched model's KL divergence from NEW and changed top-1 predictions on VAL (an .npz, the held-out training
 * images), never the test split.
 * <pre>SequentialCurveMain parent.onnx next.onnx val.npz CALIB name=qp,name=qp;name=qp,...</pre>
 */
final class SequentialCurveMain {
    public static void main(String[] a) throws Exception {
        Model base = OnnxReader.read(Path.of(a[0])), next = OnnxReader.read(Path.of(a[1]));
        Normalization norm = Normalization.resolve(null, next);
        DatasetProbe val = new DatasetProbe(Datasets.load(a[2], "test"), norm, 2);
        val.reference(next);
        Dataset calib = Datasets.load("fashion-mnist", "train").head(Integer.parseInt(a[3]));
        Set<String> weights = new LinkedHashSet<>();
        next.graph().initializers().forEach((k, t) -> { if (t.dtype() == DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED) weights.add(k); });
        ErrorCompensation ec = ErrorCompensation.prepare(next, weights, calib, norm, 128);
        SequentialCompensation seq = new SequentialCompensation(ec, base, next, SequentialCompensation.batches(calib, norm, 128));
        for (String alloc : a[4].split(";")) {
            Map<String, Integer> q = new LinkedHashMap<>();
            for (String kv : alloc.split(",")) q.put(kv.substring(0, kv.lastIndexOf('=')), Integer.parseInt(kv.substring(kv.lastIndexOf('=') + 1)));
            CodecOptions o = UpdateCompensation.codingOptions(CodecOptions.defaults().withOverrides(q)).withThreads(2);
            for (String mode : new String[] {"per-layer", "sequential"}) {
                long t0 = System.nanoTime();
                Model target = mode.equals("sequential") ? seq.target(o) : UpdateCompensation.target(ec, base, next, o);
                ByteArrayOutputStream bo = new ByteArrayOutputStream();
                DiffEncoder.diffReceived(base, target, o, null, bo);
                Model patched = Patcher.patch(base, bo.toByteArray(), "curve", 2);
                double[] m = val.measure(patched);
                long changed = Math.round((1 - val.agreement(patched)) * val.size());
                System.out.printf("%s %s: %d B, val KL %.4g, changed %d, val acc %.2f %% (%.0f s)%n", alloc, mode, bo.size(), m[1], changed, 100 * m[0],
                        (System.nanoTime() - t0) / 1e9);
            }
        }
    }
}
