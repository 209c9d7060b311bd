package io.nnzip.search;

import io.nnzip.data.DataSplits;
import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.pass.FineTuning;
import io.nnzip.pass.PassContext;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Measurement aid (not a test): {@link GridMain}'s landscape measured on held-out training images instead of the test
 * split, under several fine-tuning budgets at once, so that the budget of the benchmark can be chosen without looking
 * at the test split. The held-out images are the last 10,000 of the training split; budget {@code ExN} fine-tunes
 * for E epochs (Adam, lr 0.001, cosine) on the first N training images, as {@code --limit N --finetune E} does.
 *
 * <p>{@code HeldoutGridMain MODEL SEED TARGET 0x0,1x4000,2x12000 K0,K1,... [K0,K1,... ...]} (normalization 0.2860,0.3530)
 */
public final class HeldoutGridMain {
    public static void main(String[] a) {
        Model m = OnnxReader.read(Path.of(a[0]));
        long seed = Long.parseLong(a[1]);
        double target = Double.parseDouble(a[2]);
        String[] budgets = a[3].split(",");
        io.nnzip.engine.Canonical.apply(m);
        Dataset all = Datasets.load("fashion-mnist", "train");
        Dataset held = all.tail(10_000);
        Normalization norm = Normalization.parse("0.2860,0.3530");
        PassContext[] ctx = new PassContext[budgets.length];
        for (int b = 0; b < budgets.length; b++) {
            int n = Integer.parseInt(budgets[b].split("x")[1]);
            ctx[b] = PassContext.builder().data(DataSplits.of(all.head(Math.max(1, n)), held).normalized(norm))
                    .threads(2).seed(seed).log(s -> {}).build();
        }
        Model prepared = ctx[0].prepare(m);
        io.nnzip.engine.Canonical.apply(prepared);
        Encoding enc = new Encoding(prepared, "ratios", 0.1, 1);
        for (int i = 4; i < a.length; i++) {
            double[] g = Arrays.stream(a[i].split(",")).mapToDouble(Double::parseDouble).toArray();
            Encoding.Repaired rep = target >= 1 ? new Encoding.Repaired(g, enc.cost(g)) : enc.repair(g, target);
            Model pruned = enc.prune(rep.genes()).model();
            StringBuilder out = new StringBuilder(String.format("seed %d  keep %s  MACs %.4f", seed, enc.describe(rep.genes()).values(), rep.cost()));
            for (int b = 0; b < budgets.length; b++) {
                int epochs = Integer.parseInt(budgets[b].split("x")[0]);
                long t0 = System.nanoTime();
                FineTuning ft = ctx[b].fineTuning();
                Model tuned = ft.run(pruned, FineTuning.Request.of(epochs, 0.001f, "cosine", seed)).model();
                out.append(String.format("  %s: %.4f (%.0f s)", budgets[b], ft.accuracy(tuned), (System.nanoTime() - t0) / 1e9));
            }
            System.out.println(out);
        }
    }
}
