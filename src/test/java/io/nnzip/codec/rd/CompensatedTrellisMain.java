package io.nnzip.codec.rd;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.NnzCodec;
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
 * Compensated coding at one QP allocation shifted by OFFSETS, three ways: GPTQ then rounding to nearest (as
 * shipped in session 7), GPTQ inside a scalar RD trellis, GPTQ inside the dependent-quantization trellis. Bytes of the
 * whole .nnz (biases at 5 mantissa bits, as --max-drop writes them), accuracy on VAL (an .npz) and on the test set.
 * <pre>CompensatedTrellisMain model.onnx val.npz name=qp,... OFFSETS(-1,0,1) MODES(plain,scalar,dq)</pre>
 */
final class CompensatedTrellisMain {
    public static void main(String[] a) throws Exception {
        Model m = OnnxReader.read(Path.of(a[0]));
        Map<String, Integer> alloc = new LinkedHashMap<>();
        for (String kv : a[2].split(",")) alloc.put(kv.substring(0, kv.lastIndexOf('=')), Integer.parseInt(kv.substring(kv.lastIndexOf('=') + 1)));
        Dataset train = Datasets.load("fashion-mnist", "train");
        Normalization norm = Normalization.resolve(null, m);
        DatasetProbe val = new DatasetProbe(Datasets.load(a[1], "test"), norm, 2), test = new DatasetProbe(Datasets.load("fashion-mnist", "test"), norm, 2);
        Set<String> weights = new LinkedHashSet<>();
        m.graph().initializers().forEach((k, t) -> { if (t.dtype() == DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED) weights.add(k); });
        ErrorCompensation comp = ErrorCompensation.prepare(m, weights, train.head(Integer.getInteger("calib", 1024)), norm, 128);
        System.out.printf("original: val %.2f %%, test %.2f %%%n", 100 * val.accuracy(m), 100 * test.accuracy(m));
        long raw = io.nnzip.codec.bench.CodecBenchmark.rawFloats(m).length;
        for (String mode : a[4].split(","))
            for (String off : a[3].split(",")) {
                Map<String, Integer> q = new LinkedHashMap<>();
                alloc.forEach((k, v) -> q.put(k, v + Integer.parseInt(off)));
                CodecOptions o = ErrorCompensation.codingOptions(CodecOptions.defaults().withOverrides(q)).withThreads(2).withFloatMantissa(5);
                long t0 = System.nanoTime();
                byte[] nnz;
                if (mode.equals("plain")) nnz = NnzCodec.encode(comp.apply(m, q), o);
                else {
                    ErrorCompensation.Coded c = comp.code(m, q, mode.equals("dq"));
                    ByteArrayOutputStream bo = new ByteArrayOutputStream();
                    ModelEncoder.encode(c.source(), o, bo);
                    nnz = bo.toByteArray();
                }
                long t1 = System.nanoTime();
                Model d = NnzCodec.decode(nnz);
                System.out.printf("%s offset %s: %d B (%.3f %%), val %.2f %%, test %.2f %% (%.1f s)%n", mode, off, nnz.length, 100.0 * nnz.length / raw, 100 * val.accuracy(d), 100 * test.accuracy(d), (t1 - t0) / 1e9);
            }
    }
}
