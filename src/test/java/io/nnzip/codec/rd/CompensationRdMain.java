package io.nnzip.codec.rd;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Compensated coding at one QP allocation shifted by OFFSETS (-Dcalib=N calibration images, default 1024): bytes and
 * accuracy on the validation split --max-drop uses (last 10,000 training images) and on the test set.
 * <pre>CompensationRdMain model.onnx name=qp,name=qp,... OFFSETS(-1,0,1) [LABEL]</pre>
 */
final class CompensationRdMain {
    public static void main(String[] a) throws Exception {
        Model m = OnnxReader.read(Path.of(a[0]));
        Map<String, Integer> alloc = new LinkedHashMap<>();
        for (String kv : a[1].split(",")) alloc.put(kv.substring(0, kv.lastIndexOf('=')), Integer.parseInt(kv.substring(kv.lastIndexOf('=') + 1)));
        Dataset train = Datasets.load("fashion-mnist", "train");
        int[] idx = new int[10000];
        for (int i = 0; i < idx.length; i++) idx[i] = train.size() - idx.length + i;
        Normalization norm = Normalization.resolve(null, m);
        DatasetProbe val = new DatasetProbe(train.subset(idx, "val"), norm, 2), test = new DatasetProbe(Datasets.load("fashion-mnist", "test"), norm, 2);
        Set<String> weights = new LinkedHashSet<>();
        m.graph().initializers().forEach((k, t) -> { if (t.dtype() == DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED) weights.add(k); });
        ErrorCompensation comp = ErrorCompensation.prepare(m, weights, train.head(Integer.getInteger("calib", 1024)), norm, 128);
        System.out.printf("original: val %.2f %%, test %.2f %%%n", 100 * val.accuracy(m), 100 * test.accuracy(m));
        long raw = io.nnzip.codec.bench.CodecBenchmark.rawFloats(m).length;
        for (String off : a[2].split(",")) {
            Map<String, Integer> q = new LinkedHashMap<>();
            alloc.forEach((k, v) -> q.put(k, v + Integer.parseInt(off)));
            CodecOptions o = ErrorCompensation.codingOptions(CodecOptions.defaults().withOverrides(q)).withThreads(2);
            byte[] nnz = NnzCodec.encode(comp.apply(m, q), o);
            Model d = NnzCodec.decode(nnz);
            System.out.printf("offset %s %s: %d B (%.3f %%), val %.2f %%, test %.2f %%%n", off, a.length > 3 ? a[3] : "", nnz.length, 100.0 * nnz.length / raw, 100 * val.accuracy(d), 100 * test.accuracy(d));
        }
    }
}
