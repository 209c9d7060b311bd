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
 * Measurement aid (not a test): why pruned MobileNetV2-style networks collapse. Fine-tune images are the first N of
 * the last 10,000 training images (unseen by the fixture's training), validation the last 4,000 of them (never in a
 * fine-tune with N ≤ 6,000); the test split is not read. Budgets {@code E:N:LR}; genomes as keep ratios per group
 * ({@code 1} = unpruned), repaired to TARGET.
 *
 * <p>{@code MnvDiagMain MODEL SEED TARGET 1:4000:0.001,... K0,K1,... [...]}
 */
public final class MnvDiagMain {
    public static void main(String[] a) {
        Model m = OnnxReader.read(Path.of(a[0]));
        long seed = Long.parseLong(a[1]);
        double target = Double.parseDouble(a[2]);
        String[] budgets = a[3].equals("-") ? new String[] {"0:1:0"} : a[3].split(",");
        io.nnzip.engine.Canonical.apply(m);
        Dataset tail = Datasets.load("fashion-mnist", "train").tail(10_000);
        Dataset held = tail.tail(4_000);
        Normalization norm = Normalization.parse("0.2860,0.3530");
        PassContext[] ctx = new PassContext[budgets.length];
        for (int b = 0; b < budgets.length; b++) {
            int n = Integer.parseInt(budgets[b].split(":")[1]);
            ctx[b] = PassContext.builder().data(DataSplits.of(tail.head(Math.max(1, n)), held).normalized(norm))
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
            System.out.printf("keep %s  MACs %.4f  no fine-tune %.4f%n", enc.describe(rep.genes()).values(), rep.cost(), ctx[0].fineTuning().accuracy(pruned));
            for (int b = 0; b < budgets.length && !a[3].equals("-"); b++) {
                String[] p = budgets[b].split(":");
                long t0 = System.nanoTime();
                FineTuning ft = ctx[b].fineTuning();
                StringBuilder losses = new StringBuilder();
                FineTuning.Request r = FineTuning.Request.of(Integer.parseInt(p[0]), Float.parseFloat(p[2]), p.length > 3 ? p[3] : "cosine", seed)
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
