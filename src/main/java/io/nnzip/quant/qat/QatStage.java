package io.nnzip.quant.qat;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.Scheme;
import io.nnzip.quant.weight.EncodedWeight;
import io.nnzip.quant.weight.InqQuantizer;
import io.nnzip.quant.weight.KMeansQuantizer;
import io.nnzip.quant.weight.WeightOnlyQuantizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Training before export, per scheme: QAT with fake-quantized weights (--qat, any weight scheme and int8),
 * k-means centroid fine-tuning (--finetune), and INQ's schedule (fix the largest share to powers of two, retrain
 * the rest, repeat). Edits the model's weights in place so that the ordinary encoders export the trained result;
 * k-means returns its trained codebooks so the export keeps them exactly.
 */
public final class QatStage {
    /** Trained k-means codebooks by weight name (empty for other schemes). */
    public record Result(Map<String, KMeansQuantizer.Clusters> codebooks, List<String> log) {}

    private QatStage() {}

    public static Result run(Model m, Scheme s, QuantConfig cfg, BiFunction<Tensor, Integer, EncodedWeight> encoder, Dataset train,
                             Normalization norm, Consumer<String> log) {
        Dataset data = train.head(cfg.trainLimit);
        Graph g = m.graph();
        Map<Node, Integer> ops = WeightOnlyQuantizer.weightOps(g, cfg.exclude);
        List<String> lines = new ArrayList<>();
        Consumer<String> both = l -> {
            lines.add(l);
            log.accept(l);
        };
        Map<String, KMeansQuantizer.Clusters> books = new LinkedHashMap<>();
        if (s.kind() == Scheme.Kind.KMEANS) {
            List<QuantizedParam> targets = new ArrayList<>();
            for (Node n : ops.keySet()) {
                Tensor w = g.initializer(n.input(1));
                KMeansQuantizer.Clusters c = new KMeansQuantizer(s.bits(), 50).cluster(w.toFloats());
                targets.add(QuantizedParam.codebook(n.input(1), c.centroids(), c.index()));
                books.put(n.input(1), c);
            }
            int epochs = Math.max(cfg.finetune, cfg.qat);
            if (epochs > 0) {
                ShadowWeightTrainer.train(m, targets, data, norm, epochs, 128, cfg.lr(), cfg.threads, cfg.seed, both);
                for (QuantizedParam t : targets)
                    books.put(t.weight(), new KMeansQuantizer.Clusters(t.param().value().clone(), books.get(t.weight()).index()));
            }
            return new Result(books, lines);
        }
        if (s.kind() == Scheme.Kind.INQ) {
            inq(m, ops, s.bits(), cfg, data, norm, both);
            return new Result(books, lines);
        }
        List<QuantizedParam> targets = new ArrayList<>();
        for (Map.Entry<Node, Integer> e : ops.entrySet()) {
            String w = e.getKey().input(1);
            targets.add(QuantizedParam.shadow(w, g.initializer(w), e.getValue(), (t, axis) -> encoder.apply(t, axis).values()));
        }
        ShadowWeightTrainer.train(m, targets, data, norm, cfg.qat, 128, cfg.lr(), cfg.threads, cfg.seed, both);
        return new Result(books, lines);
    }

    /** INQ: at each share of the schedule, fix the largest free weights to powers of two, then retrain the free ones. */
    static void inq(Model m, Map<Node, Integer> ops, int bits, QuantConfig cfg, Dataset data, Normalization norm, Consumer<String> log) {
        Graph g = m.graph();
        InqQuantizer q = new InqQuantizer(bits);
        Map<String, boolean[]> fixed = new LinkedHashMap<>();
        Map<String, int[]> bounds = new LinkedHashMap<>();
        for (Node n : ops.keySet()) {
            float[] w = g.initializer(n.input(1)).toFloats();
            fixed.put(n.input(1), new boolean[w.length]);
            bounds.put(n.input(1), q.exponents(w));
        }
        int perStep = Math.max(1, cfg.qat / InqQuantizer.SCHEDULE.length);
        for (double share : InqQuantizer.SCHEDULE) {
            List<QuantizedParam> targets = new ArrayList<>();
            for (Node n : ops.keySet()) {
                String name = n.input(1);
                Tensor w = g.initializer(name);
                float[] v = w.toFloats().clone();
                q.fix(v, fixed.get(name), share, bounds.get(name));
                g.initializers().put(name, Tensor.of(v, w.shape()));
                float[] frozen = v.clone();
                boolean[] f = fixed.get(name);
                // fixed weights keep their power of two; free ones follow their shadow
                targets.add(QuantizedParam.shadow(name, g.initializer(name), ops.get(n), (t, axis) -> {
                    float[] out = t.toFloats().clone();
                    for (int i = 0; i < out.length; i++) if (f[i]) out[i] = frozen[i];
                    return out;
                }));
            }
            log.accept(String.format("INQ: %.1f%% of weights fixed to powers of two", 100 * share));
            if (share < 1.0 && cfg.qat > 0) ShadowWeightTrainer.train(m, targets, data, norm, perStep, 128, cfg.lr(), cfg.threads, cfg.seed, log);
        }
    }
}
