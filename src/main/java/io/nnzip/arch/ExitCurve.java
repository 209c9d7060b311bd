package io.nnzip.arch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accuracy versus average MACs of early exit over confidence thresholds, computed from every exit's logits on
 * an evaluation set: a sample stops at the first exit whose top softmax probability reaches the threshold.
 */
public final class ExitCurve {
    public record Point(double threshold, double accuracy, double averageMacs, double macsRatio, int[] exitCounts) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("threshold", threshold);
            m.put("accuracy", accuracy);
            m.put("average_macs", averageMacs);
            m.put("macs_ratio", macsRatio);
            m.put("exit_counts", exitCounts);
            return m;
        }
    }

    private ExitCurve() {}

    /**
     * @param logits per exit, (N × classes) row-major
     * @param cumulativeMacs MACs per image of stopping at each exit
     * @param baselineMacs MACs per image of the original model, the reference of macsRatio
     */
    public static List<Point> of(List<float[]> logits, int[] labels, int classes, long[] cumulativeMacs, long baselineMacs, double[] thresholds) {
        int n = labels.length, exits = logits.size();
        double[][] conf = new double[exits][n];
        int[][] pred = new int[exits][n];
        float[] row = new float[classes];
        for (int e = 0; e < exits; e++)
            for (int i = 0; i < n; i++) {
                System.arraycopy(logits.get(e), i * classes, row, 0, classes);
                conf[e][i] = EarlyExitRunner.topProbability(row);
                pred[e][i] = io.nnzip.train.Evaluator.argmax(row, 0, classes);
            }
        List<Point> pts = new ArrayList<>();
        for (double t : thresholds) {
            int correct = 0;
            double macs = 0;
            int[] counts = new int[exits];
            for (int i = 0; i < n; i++) {
                int e = 0;
                while (e < exits - 1 && conf[e][i] < t) e++;
                counts[e]++;
                macs += cumulativeMacs[e];
                if (pred[e][i] == labels[i]) correct++;
            }
            pts.add(new Point(t, (double) correct / n, macs / n, macs / n / baselineMacs, counts));
        }
        return pts;
    }

    /** Accuracy of each exit alone (every sample answered there). */
    public static double[] exitAccuracies(List<float[]> logits, int[] labels, int classes) {
        double[] acc = new double[logits.size()];
        for (int e = 0; e < logits.size(); e++) {
            float[] z = logits.get(e);
            acc[e] = (double) io.nnzip.train.Evaluator.correctTop1(z, labels) / labels.length;
        }
        return acc;
    }
}
