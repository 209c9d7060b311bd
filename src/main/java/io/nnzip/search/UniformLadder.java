package io.nnzip.search;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The uniform prune at a latency target, one rule for {@code --method uniform} and for the width search's uniform
 * finalist. The uniform keep ratios are a fixed grid, k / {@link #GRID}; after rounding of channel counts the grid's
 * points form a ladder of distinct networks. A bisection over the grid index, always from the same bracket
 * (minimum keep, everything kept), measures the network at the middle point with three times the runs and keeps the
 * widest grid point measured no slower than the target plus the calibration's aim (2 %). The path therefore depends
 * only on which side of that line each measured network falls: two processes choose the same uniform prune unless
 * one of the few networks measured lies within the timing noise of the line. (The secant steps in scale that
 * {@link WidthCalibration} takes for a searched genome start from a latency model fitted anew in every process and can
 * step over a rung of the ladder; in session 17 two processes calibrated the same rule to keep 0.601 and 0.635.)
 * <p>
 * With a {@link LatencyTable} the ratios of networks measured before come from it (the step then records 0 runs), so
 * {@code --method uniform} given the table a width search wrote keeps exactly that search's uniform prune.
 * <p>
 * The chosen network is then measured again (three times the runs); if that check is slower than the target by more
 * than 5 %, the bisection continues below it (at most {@link WidthCalibration#MAX_STEPS} measurements).
 */
final class UniformLadder {
    /** Keep ratios on the grid are multiples of 1 / GRID. */
    static final int GRID = 200;

    private UniformLadder() {}

    /** The uniform genome at grid point {@code i} (keep i / GRID in every group, no lower than the minimum keep). */
    static double[] at(Encoding enc, int i) {
        double[] g = enc.full();
        java.util.Arrays.fill(g, Math.max(enc.minKeep, i / (double) GRID));
        return g;
    }

    /** {@code table}: ratios measured before (by this rule, in any process) are taken from it, new ones added to it. */
    static WidthCalibration.Result run(Encoding enc, double target, LatencyTimer timer, int runs, LatencyTable table, Consumer<String> log) {
        int n = 3 * Math.max(1, runs);
        double line = target * (1 + WidthCalibration.AIM);
        int lo = (int) Math.ceil(enc.minKeep * GRID), hi = GRID;
        Map<String, Double> byNetwork = new HashMap<>();
        List<WidthCalibration.Step> steps = new ArrayList<>();
        int measurements = 0;
        double check = Double.NaN;
        while (true) {
            while (hi - lo > 1 && measurements < WidthCalibration.MAX_STEPS - 1) {
                int mid = (lo + hi) / 2;
                String net = enc.network(at(enc, mid));
                Double r = byNetwork.get(net);
                if (r == null) {
                    if (net.equals(enc.network(at(enc, lo)))) { // the same network as the bracket's narrow end: it meets
                        lo = mid;
                        continue;
                    }
                    if (hi < GRID && net.equals(enc.network(at(enc, hi)))) {
                        hi = mid;
                        continue;
                    }
                    String keep = enc.describe(at(enc, mid)).values().toString();
                    r = table.get(net);
                    boolean fromTable = r != null;
                    if (!fromTable) {
                        r = timer.ratio(enc.prune(at(enc, mid)).model(), n);
                        measurements++;
                        table.put(net, r, n, keep);
                    }
                    byNetwork.put(net, r);
                    steps.add(new WidthCalibration.Step(mid / (double) GRID, keep, r, fromTable ? 0 : n));
                    log.accept(String.format("search: uniform keep %.3f → latency %.4f of the original (target %.4f)%s", mid / (double) GRID, r, target, fromTable ? ", from --latency-table" : ""));
                }
                if (r <= line) lo = mid;
                else hi = mid;
            }
            double[] kept = at(enc, lo);
            check = timer.ratio(enc.prune(kept).model(), n);
            measurements++;
            steps.add(new WidthCalibration.Step(Double.NaN, enc.describe(kept).values().toString(), check, n));
            log.accept(String.format("search: uniform keep %.3f re-measured with %d runs → latency %.4f of the original (target %.4f)", lo / (double) GRID, n, check, target));
            boolean within = Math.abs(check / target - 1) <= WidthCalibration.TOLERANCE;
            int floor = (int) Math.ceil(enc.minKeep * GRID);
            if (within || check < target || lo <= floor || measurements >= WidthCalibration.MAX_STEPS - 1) {
                Double first = byNetwork.get(enc.network(kept));
                return new WidthCalibration.Result(kept, first != null ? first : check, check, n, within, steps);
            }
            // slower than the target by more than 5 % on the check: the check is the better figure; look below it
            byNetwork.put(enc.network(kept), check);
            hi = lo;
            lo = floor;
        }
    }
}
