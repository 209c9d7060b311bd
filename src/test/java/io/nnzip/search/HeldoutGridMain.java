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
 * at the test split. The held-out images are the last 10,000 of the training split; budget {@code ExN[xLR]}
 * fine-tunes for E epochs (Adam, cosine, lr LR or 0.001) on the first N training images, as {@code --limit N
 * --finetune E [--lr LR]} does. With {@code -Dheldout=tail} (a model trained on the first 50,000 images only, such as
 * the MobileNetV2-style fixture) the fine-tune images are the first N of the last 10,000 and the held-out ones the last
 * 4,000 of them, so both are unseen by the model's own training. A genome is keep ratios per group, or {@code 1} for
 * the unpruned network; each line also gives its accuracy before any fine-tune and, per budget, every 8th step's loss.
 *
 * <p>{@code HeldoutGridMain MODEL SEED TARGET 0x0,1x4000,2x12000x0.01 K0,K1,... [K0,K1,... ...]} (normalization 0.2860,0.3530)
 */
public final class HeldoutGridMain {
    public static void main(String[] a) {
        Model m = OnnxReader.read(Path.of(a[0]));
        long seed = Long.parseLong(a[1]);
        double target = Double.parseDouble(a[2]);
        String[] budgets = a[3].split(",");
        io.nnzip.engine.Canonical.apply(m);
        Dataset all = Datasets.load("fashion-mnist", "train");
        boolean tail = "tail".equals(System.getProperty("heldout"));
        Dataset pool = tail ? all.tail(10_000) : all, held = tail ? pool.tail(4_000) : all.tail(10_000);
        Normalization norm = Normalization.parse("0.2860,0.3530");
        PassContext[] ctx = new PassContext[budgets.length];
        for (int b = 0; b < budgets.length; b++) {
            int n = Integer.parseInt(budgets[b].split("x")[1]);
            ctx[b] = PassContext.builder().data(DataSplits.of(pool.head(Math.max(1, n)), held).normalized(norm))
                    .threads(2).seed(seed).log(s -> {}).build();
        }
        Model prepared = ctx[0].prepare(m);
        io.nnzip.engine.Canonical.apply(prepared);
        Encoding enc = new Encoding(prepared, "ratios", 0.1, 1);
        System.out.println("groups " + enc.groups.size() + " " + enc.describe(enc.full()).keySet());
        for (int i = 4; i < a.length; i++) {
            double[] g = a[i].equals("1") ? enc.full() : Arrays.stream(a[i].split(",")).mapToDouble(Double::parseDouble).toArray();
            Encoding.Repaired rep = target >= 1 ? new Encoding.Repaired(g, enc.cost(g)) : enc.repair(g, target);
            Model pruned = enc.prune(rep.genes()).model();
            System.out.printf("seed %d  keep %s  MACs %.4f  no fine-tune %.4f%n", seed, enc.describe(rep.genes()).values(), rep.cost(),
                    ctx[0].fineTuning().accuracy(pruned));
            for (int b = 0; b < budgets.length; b++) {
                String[] p = budgets[b].split("x");
                long t0 = System.nanoTime();
                FineTuning ft = ctx[b].fineTuning();
                StringBuilder losses = new StringBuilder();
                FineTuning.Request r = FineTuning.Request.of(Integer.parseInt(p[0]), p.length > 2 ? Float.parseFloat(p[2]) : 0.001f, "cosine", seed)
                        .listener(t -> new io.nnzip.train.TrainListener() {
                            @Override public void step(int e, int es, int bt, int bs, float loss, float acc, double ips, double eta) {
                                if (bt % 8 == 0) losses.append(String.format(" %.2f", loss));
                            }
                            @Override public void epochEnd(io.nnzip.train.Trainer.EpochStats s) {}
                        });
                Model tuned = ft.run(pruned, r).model();
                System.out.printf("  %s: %.4f (%.0f s) loss%s%n", budgets[b], ft.accuracy(tuned), (System.nanoTime() - t0) / 1e9, losses);
            }
        }
    }
}
