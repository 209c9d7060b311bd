package io.nnzip.prune;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.criteria.Criteria;
import io.nnzip.prune.dep.CoupledGroups;
import io.nnzip.prune.report.LayerCosts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Per-layer sensitivity: prune each coupled group alone at each amount and measure what is left: accuracy
 * when labelled data is given, otherwise top-1 agreement with the unpruned model on the calibration inputs. The
 * scan also records each choice's MAC saving, which is what {@code --amount-per-layer auto} trades against.
 */
public final class Sensitivity {
    /** One group at one amount. */
    public record Point(double amount, double score, long macsSaved) implements java.io.Serializable {}

    public record Row(int group, String label, int channels, List<Point> points) implements java.io.Serializable {}

    public record Scan(String scoreName, double baseline, long macs, List<Row> rows) implements java.io.Serializable {
        /**
         * Per-group amounts removing about {@code target} of the MACs at the least loss: repeatedly take the group
         * step (next amount of one group) with the smallest score loss per MAC saved, until the savings (added up
         * as if independent) reach the target and {@code measuredSaved} (the MACs the prune with the amounts really
         * removes) does too: groups that touch one another (a residual stream feeding an expansion, an expansion
         * feeding its depthwise conv and projection) share MACs, so the summed savings overstate the prune's (on a
         * MobileNetV2-style graph, 0.50 of the MACs kept for a 0.4 target). The prune is measured only once the sum
         * has reached the target.
         */
        public Map<Integer, Double> amountsForMacs(double target, java.util.function.ToLongFunction<Map<Integer, Double>> measuredSaved) {
            int[] level = new int[rows.size()];
            long saved = 0, goal = (long) (target * macs);
            while (saved < goal || measuredSaved.applyAsLong(amounts(level)) < goal) {
                int best = -1, bestLevel = -1;
                double bestCost = Double.POSITIVE_INFINITY;
                for (int i = 0; i < rows.size(); i++) {
                    List<Point> ps = rows.get(i).points();
                    double prevScore = level[i] == 0 ? baseline : ps.get(level[i] - 1).score();
                    long prevSaved = level[i] == 0 ? 0 : ps.get(level[i] - 1).macsSaved();
                    // small amounts of small groups may remove nothing: look ahead to the first step that saves MACs
                    for (int j = level[i]; j < ps.size(); j++) {
                        long gain = ps.get(j).macsSaved() - prevSaved;
                        if (gain <= 0) continue;
                        double cost = (Math.max(0, prevScore - ps.get(j).score()) + 1e-9) / gain;
                        if (cost < bestCost) {
                            bestCost = cost;
                            best = i;
                            bestLevel = j;
                        }
                        break;
                    }
                }
                if (best < 0) break;
                List<Point> ps = rows.get(best).points();
                saved += ps.get(bestLevel).macsSaved() - (level[best] == 0 ? 0 : ps.get(level[best] - 1).macsSaved());
                level[best] = bestLevel + 1;
            }
            return amounts(level);
        }

        private Map<Integer, Double> amounts(int[] level) {
            Map<Integer, Double> out = new LinkedHashMap<>();
            for (int i = 0; i < rows.size(); i++) out.put(rows.get(i).group(), level[i] == 0 ? 0.0 : rows.get(i).points().get(level[i] - 1).amount());
            return out;
        }

        public String describe(Map<Integer, Double> amounts) {
            StringBuilder sb = new StringBuilder();
            for (Row r : rows) {
                if (!sb.isEmpty()) sb.append(", ");
                sb.append(r.label()).append('=').append(amounts.getOrDefault(r.group(), 0.0));
            }
            return sb.toString();
        }
    }

    private Sensitivity() {}

    /** The MACs (one image) the l1-filter prune of {@code m} with given per-group amounts really removes, for {@link Scan#amountsForMacs(double, java.util.function.ToLongFunction)}. */
    public static java.util.function.ToLongFunction<Map<Integer, Double>> measuredSavings(Model m, int roundTo) {
        StructuredPruner.Analysis a = StructuredPruner.Analysis.of(m);
        double[] l1 = Criteria.of("l1-filter", 0, null).score(a.deps(), a.groups());
        long base = LayerCosts.totalMacs(m, 1);
        return amounts -> base - LayerCosts.totalMacs(StructuredPruner.prune(a, l1, 0, "layer", amounts, roundTo).model(), 1);
    }

    public static Scan scan(Model m, String method, List<Double> amounts, Iterable<Map<String, Tensor>> calibration,
                            Iterable<io.nnzip.data.Batch> labelled, Accuracy accuracy,
                            long seed, Consumer<String> log) {
        Prepared p = prepare(m, method, amounts, calibration, labelled, accuracy, seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < p.groupCount(); i++) {
            rows.add(p.row(i));
            log.accept(String.format("sensitivity %d/%d: %s", rows.size(), p.groupCount(), rows.getLast().label()));
        }
        return p.scan(rows);
    }

    /**
     * Everything the rows share (channel scores, the unpruned reference, the baseline); each {@link #row} is then an
     * independent point, so a sweep can compute rows anywhere (another thread, a Spark executor) and
     * {@link #scan(List)} assembles the same table.
     */
    public static Prepared prepare(Model m, String method, List<Double> amounts, Iterable<Map<String, Tensor>> calibration,
                                   Iterable<io.nnzip.data.Batch> labelled, Accuracy accuracy, long seed) {
        return prepare(m, method, amounts, calibration, labelled, accuracy, accuracy, seed);
    }

    /** As above, measuring the baseline with {@code baseline} (the same data, other threads) and the points with {@code accuracy}. */
    public static Prepared prepare(Model m, String method, List<Double> amounts, Iterable<Map<String, Tensor>> calibration,
                                   Iterable<io.nnzip.data.Batch> labelled, Accuracy accuracy, Accuracy baseline, long seed) {
        StructuredPruner.Analysis a = StructuredPruner.Analysis.of(m);
        double[] scores = Criteria.of(method, seed, calibration, labelled).score(a.deps(), a.groups());
        List<Map<String, Tensor>> feeds = new ArrayList<>();
        calibration.forEach(feeds::add);
        Agreement agree = accuracy == null ? new Agreement(m, feeds) : null;
        double base = accuracy != null ? baseline.of(m) : 100;
        return new Prepared(a, scores, List.copyOf(amounts), accuracy, agree, base, LayerCosts.totalMacs(m, 1));
    }

    public static final class Prepared {
        private final StructuredPruner.Analysis a;
        private final double[] scores;
        private final List<Double> amounts;
        private final Accuracy accuracy;
        private final Agreement agree;
        private final double base;
        private final long macs;

        Prepared(StructuredPruner.Analysis a, double[] scores, List<Double> amounts, Accuracy accuracy, Agreement agree, double base, long macs) {
            this.a = a;
            this.scores = scores;
            this.amounts = amounts;
            this.accuracy = accuracy;
            this.agree = agree;
            this.base = base;
            this.macs = macs;
        }

        /** Prunable groups; rows are numbered 0..groupCount-1 in this order. */
        public int groupCount() { return a.prunableGroups().size(); }

        /** The group at {@code index} alone, at every amount. */
        public Row row(int index) {
            List<Point> pts = new ArrayList<>();
            for (double amt : amounts) pts.add(point(index, amt));
            return row(index, pts);
        }

        /** The amounts of every row, in the order of a row's points. */
        public List<Double> amounts() { return amounts; }

        /** One point of a row: the group at {@code index} alone at {@code amount}; independent of every other point. */
        public Point point(int index, double amount) {
            CoupledGroups.Group g = a.prunableGroups().get(index);
            Map<Integer, Double> per = new LinkedHashMap<>();
            per.put(g.id(), amount);
            Model p = StructuredPruner.prune(a, scores, 0, "layer", per, 1).model();
            double s = accuracy != null ? accuracy.of(p) : agree.of(p);
            return new Point(amount, s, macs - LayerCosts.totalMacs(p, 1));
        }

        /** The row of the group at {@code index} from its points, computed anywhere (in the order of {@link #amounts()}). */
        public Row row(int index, List<Point> points) {
            CoupledGroups.Group g = a.prunableGroups().get(index);
            return new Row(g.id(), g.label(), g.prunable().size(), List.copyOf(points));
        }

        public Scan scan(List<Row> rows) {
            return new Scan(accuracy != null ? "accuracy (%)" : "top-1 agreement with the unpruned model (%)", base, macs, rows);
        }
    }

    /** Share of calibration examples whose arg-max output matches the unpruned model's, in percent. */
    static final class Agreement {
        private final List<Map<String, Tensor>> feeds;
        private final List<int[]> reference = new ArrayList<>();

        Agreement(Model m, List<Map<String, Tensor>> feeds) {
            this.feeds = feeds;
            try (OrtRunner r = new OrtRunner(m, 2)) {
                for (Map<String, Tensor> f : feeds) reference.add(argmax(r.run(f).values().iterator().next()));
            }
        }

        double of(Model m) {
            long same = 0, total = 0;
            try (OrtRunner r = new OrtRunner(m, 2)) {
                for (int i = 0; i < feeds.size(); i++) {
                    int[] got = argmax(r.run(feeds.get(i)).values().iterator().next()), ref = reference.get(i);
                    for (int j = 0; j < ref.length; j++) if (got[j] == ref[j]) same++;
                    total += ref.length;
                }
            }
            return total == 0 ? 100 : 100.0 * same / total;
        }

        // y: (N, K) -> argmax over K per row
        static int[] argmax(Tensor y) {
            return io.nnzip.train.Evaluator.top1(y.toFloats(), y.dim(0));
        }
    }
}
