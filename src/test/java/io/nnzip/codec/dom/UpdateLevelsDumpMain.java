package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * Analysis aid (not a test): writes the levels of one tensor's compensated update at a QP, as {@code diff
 * --max-drop} codes them, for studying context models offline. Args: PARENT NEXT TENSOR QP CALIB_IMAGES OUT
 * (OUT: little-endian int32 levels after a header of rows and row length).
 */
final class UpdateLevelsDumpMain {
    public static void main(String[] a) throws Exception {
        Model base = OnnxReader.read(Path.of(a[0])), next = OnnxReader.read(Path.of(a[1]));
        String name = a[2];
        int qp = Integer.parseInt(a[3]), calib = Integer.parseInt(a[4]);
        Dataset train = Datasets.load("fashion-mnist", "train");
        ErrorCompensation ec = ErrorCompensation.prepare(next, Set.of(name), train.head(calib), Normalization.resolve(null, next), 128);
        CodecOptions o = UpdateCompensation.codingOptions(CodecOptions.defaults().withQp(qp));
        Model t = UpdateCompensation.target(ec, base, next, o);
        float[] w = t.graph().initializer(name).floats(), b = base.graph().initializer(name).floats();
        int[] shape = next.graph().initializer(name).shape();
        long[] dims = java.util.Arrays.stream(shape).asLongStream().toArray();
        double step = BaseGrid.steps(w, b, dims, -1, qp)[0];
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(new FileOutputStream(a[5])))) {
            out.writeInt(Integer.reverseBytes(shape[0]));
            out.writeInt(Integer.reverseBytes(w.length / shape[0]));
            for (int i = 0; i < w.length; i++) {
                double x = ((double) w[i] - b[i]) / step;
                out.writeInt(Integer.reverseBytes((int) (Math.signum(x) * Math.floor(Math.abs(x) + 0.5))));
            }
        }
        System.out.println(name + " qp " + qp + " step " + step);
    }
}
