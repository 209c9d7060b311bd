package io.nnzip.search;

import io.nnzip.data.DataSplits;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.pass.FineTuning;
import io.nnzip.pass.PassContext;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Measurement aid for the search benchmark (not a test): the test accuracy, after the benchmark's fine-tuning budget,
 * of given per-group keep ratios repaired to a MAC budget, i.e. the landscape the search walks. It reads the test
 * split, so it only describes the benchmark; the search itself never sees these numbers.
 *
 * <p>{@code GridMain MODEL SEED TARGET LIMIT EPOCHS K0,K1,... [K0,K1,... ...]} (normalization 0.2860,0.3530, lr 0.001)
 */
public final class GridMain {
    public static void main(String[] a) {
        Model m = OnnxReader.read(Path.of(a[0]));
        long seed = Long.parseLong(a[1]);
        double target = Double.parseDouble(a[2]);
        int limit = Integer.parseInt(a[3]), epochs = Integer.parseInt(a[4]);
        io.nnzip.engine.Canonical.apply(m);
        PassContext ctx = PassContext.builder()
                .data(DataSplits.load("fashion-mnist", limit).normalized(Normalization.parse("0.2860,0.3530")))
                .threads(2).seed(seed).log(s -> {}).build();
        Model prepared = ctx.prepare(m);
        io.nnzip.engine.Canonical.apply(prepared);
        Encoding enc = new Encoding(prepared, "ratios", 0.1, 1);
        FineTuning ft = ctx.fineTuning();
        for (int i = 5; i < a.length; i++) {
            double[] g = Arrays.stream(a[i].split(",")).mapToDouble(Double::parseDouble).toArray();
            Encoding.Repaired rep = target >= 1 ? new Encoding.Repaired(g, enc.cost(g)) : enc.repair(g, target);
            long t0 = System.nanoTime();
            Model tuned = ft.run(enc.prune(rep.genes()).model(), FineTuning.Request.of(epochs, 0.001f, "cosine", seed)).model();
            Float acc = ft.accuracy(tuned);
            System.out.printf("seed %d  asked %s  keep %s  MACs %.4f  accuracy %.4f  %.0f s%n", seed, a[i], enc.describe(rep.genes()).values(),
                    rep.cost(), acc, (System.nanoTime() - t0) / 1e9);
        }
    }
}
