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
 * A measurement aid for choosing the level refinement's recipe on held-out training images: at one QP allocation,
 * the sequentially compensated update and its refinements under several recipes, each coded (whole file bytes) and
 * patched; KL from NEW, changed top-1 predictions and accuracy on VAL (an .npz of held-out training images).
 * <pre>RefineCurveMain parent.onnx next.onnx val.npz CALIB name=qp,... REFINE_IMAGES steps:lr:batch[,...]</pre>
 */
final class RefineCurveMain {
    public static void main(String[] a) throws Exception {
        Model base = OnnxReader.read(Path.of(a[0])), next = OnnxReader.read(Path.of(a[1]));
        Normalization norm = Normalization.resolve(null, next);
        DatasetProbe val = new DatasetProbe(Datasets.load(a[2], "test"), norm, 2);
        System.out.printf("val new acc %.2f %%%n", 100 * val.reference(next));
        Dataset train = Datasets.load("fashion-mnist", "train");
        Dataset calib = train.head(Integer.parseInt(a[3]));
        Set<String> weights = new LinkedHashSet<>();
        next.graph().initializers().forEach((k, t) -> { if (t.dtype() == DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED) weights.add(k); });
        ErrorCompensation ec = ErrorCompensation.prepare(next, weights, calib, norm, 128);
        SequentialCompensation seq = new SequentialCompensation(ec, base, next, SequentialCompensation.batches(calib, norm, 128));
        Map<String, Integer> q = new LinkedHashMap<>();
        for (String kv : a[4].split(",")) q.put(kv.substring(0, kv.lastIndexOf('=')), Integer.parseInt(kv.substring(kv.lastIndexOf('=') + 1)));
        CodecOptions o = UpdateCompensation.codingOptions(CodecOptions.defaults().withOverrides(q)).withThreads(2);
        Model target = seq.target(o);
        report("sequential", base, target, o, val, 0);
        Dataset images = train.head(Integer.parseInt(a[5]));
        for (String r : a[6].split(",")) {
            String[] p = r.split(":");
            long t0 = System.nanoTime();
            LevelRefinement.Result res = LevelRefinement.refine(base, next, target, o, seq.layers(), images, norm,
                    new LevelRefinement.Config(Integer.parseInt(p[0]), Float.parseFloat(p[1]), Integer.parseInt(p[2]), 0, 2, p.length > 3 && p[3].equals("t")));
            System.out.printf("  refine %s: %d of %d levels changed, train KL %.4g -> %.4g%n", r, res.changed(), res.levels(), res.firstLoss(), res.lastLoss());
            report("refined " + r, base, res.target(), o, val, (System.nanoTime() - t0) / 1e9);
        }
    }

    static void report(String what, Model base, Model target, CodecOptions o, DatasetProbe val, double secs) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        DiffEncoder.diffReceived(base, target, o, null, bo);
        Model patched = Patcher.patch(base, bo.toByteArray(), "curve", 2);
        double[] m = val.measure(patched);
        long changed = Math.round((1 - val.agreement(patched)) * val.size());
        System.out.printf("%s: %d B, val KL %.4g, changed %d, val acc %.2f %% (%.0f s)%n", what, bo.size(), m[1], changed, 100 * m[0], secs);
    }
}
