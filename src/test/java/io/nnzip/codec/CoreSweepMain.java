package io.nnzip.codec;

import com.github.luben.zstd.Zstd;
import io.nnzip.codec.bench.CodecBenchmark;
import io.nnzip.codec.rd.DatasetProbe;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;

/**
 * Rate–accuracy sweep of the codec core at fixed QPs, no data: for each level-decision mode (dead zone only = the
 * version-4 encoder, scalar RDOQ, dependent quantization) and each QP, the .nnz size as % of the model's float32
 * weights and the decoded model's Fashion-MNIST test accuracy in ONNX Runtime (all 10,000 images); then the smallest
 * stream within 0.5 and 0.1 points of the original. With a second model ({@code --next}), the same for the update
 * {@code diff(model, next)} (accuracy of the patched model against next's). zstd -19 and xz -9 of the float32 bytes
 * are printed alongside. MODES: 0 theta, 1 rdoq, 2 dq, 3 dq + equal steps, 4 theta + equal steps, 5 rdoq + equal steps.
 * <pre>CoreSweepMain model.onnx QP_FROM QP_TO [next.onnx [MODES]]</pre>
 */
final class CoreSweepMain {
    public static void main(String[] a) throws Exception {
        Model m = OnnxReader.read(Path.of(a[0]));
        int from = Integer.parseInt(a[1]), to = Integer.parseInt(a[2]);
        Model next = a.length > 3 && !a[3].isEmpty() ? OnnxReader.read(Path.of(a[3])) : null;
        Model target = next == null ? m : next;
        DatasetProbe probe = new DatasetProbe(Datasets.load("fashion-mnist", "test"), Normalization.resolve(null, m), 1);
        byte[] raw = CodecBenchmark.rawFloats(target);
        double orig = 100 * probe.accuracy(target);
        System.out.printf("%s%s: float32 %d B, accuracy %.2f %%, zstd-19 %.2f %%, xz-9 %.2f %%%n", a[0], next == null ? "" : " -> " + a[3], raw.length, orig,
                100.0 * Zstd.compress(raw, 19).length / raw.length, 100.0 * CodecBenchmark.xz(raw).length / raw.length);
        String[] names = {"theta (v4)", "rdoq", "dq", "dq+equal", "theta+equal", "rdoq+equal"};
        int[] modes = a.length > 4 ? java.util.Arrays.stream(a[4].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {0, 1, 2, 3};
        for (int mode : modes) {
            double best05 = Double.NaN, best01 = Double.NaN;
            for (int qp = from; qp <= to; qp++) {
                CodecOptions o = CodecOptions.ofQp(qp).withQuantizer(mode <= 2 ? mode : mode == 3 ? 2 : mode - 4).withThreads(2);
                if (mode >= 3) o = o.withOverrides(EqualSteps.qps(m, qp));
                byte[] nnz = next == null ? NnzCodec.encode(m, o) : NnzCodec.diff(m, next, o);
                Model d = next == null ? NnzCodec.decode(nnz) : NnzCodec.patch(m, nnz);
                double pct = 100.0 * nnz.length / raw.length, acc = 100 * probe.accuracy(d);
                if (acc >= orig - 0.5 && !(pct >= best05)) best05 = pct;
                if (acc >= orig - 0.1 && !(pct >= best01)) best01 = pct;
                System.out.printf("  %-10s qp %3d: %8d B  %6.2f %%  accuracy %.2f %% (%+.2f)%n", names[mode], qp, nnz.length, pct, acc, acc - orig);
            }
            System.out.printf("  %-10s smallest within 0.5 pts: %.2f %%, within 0.1 pts: %.2f %%%n", names[mode], best05, best01);
        }
    }
}
