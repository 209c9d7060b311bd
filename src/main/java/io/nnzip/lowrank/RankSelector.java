package io.nnzip.lowrank;

import io.nnzip.ir.NnzipException;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses every layer's rank from one global setting. A fixed rank, an energy share or the VBMF estimate is
 * applied per layer; a MAC budget is met by bisection on one level shared by all layers — the kept energy for
 * methods with a spectrum (so layers that compress well give more), the per-layer MAC fraction for CP. A layer
 * whose factorized form would not be cheaper in MACs or parameters is left as it is (null choice).
 */
public final class RankSelector {
    private RankSelector() {}

    public static List<Choice> select(List<LayerFactorizer> layers, FactorizeConfig cfg, long modelMacs) {
        if (cfg.targetMacs() == null) {
            List<Choice> out = new ArrayList<>();
            for (LayerFactorizer f : layers) {
                Choice c = cfg.rank() != null ? f.forRank(cfg.rank()) : cfg.vbmf() ? vbmf(f) : f.forEnergy(cfg.energy());
                out.add(worthIt(f, c) ? c : null);
            }
            return out;
        }
        long selectedMacs = 0;
        for (LayerFactorizer f : layers) selectedMacs += f.originalMacs();
        double budget = cfg.targetMacs() * modelMacs - (modelMacs - selectedMacs);
        boolean byEnergy = cfg.method() != FactorizeConfig.Method.CP;
        if (cost(layers, byEnergy, 1e-9) > budget)
            throw new NnzipException("--target-macs " + cfg.targetMacs() + " is out of reach: even rank 1 everywhere in the selected layers leaves "
                    + (cost(layers, byEnergy, 1e-9) + modelMacs - selectedMacs) + " of " + modelMacs + " MACs");
        double lo = 1e-9, hi = 1;
        for (int it = 0; it < 50; it++) {
            double mid = (lo + hi) / 2;
            if (cost(layers, byEnergy, mid) <= budget) lo = mid;
            else hi = mid;
        }
        List<Choice> out = new ArrayList<>();
        for (LayerFactorizer f : layers) {
            Choice c = level(f, byEnergy, lo);
            out.add(worthIt(f, c) ? c : null);
        }
        return out;
    }

    private static Choice vbmf(LayerFactorizer f) {
        return switch (f) {
            case SvdLinearFactorizer s -> s.forVbmf();
            case SpatialConvFactorizer s -> s.forVbmf();
            case TuckerConvFactorizer t -> t.forVbmf();
            default -> throw new NnzipException("--vbmf is not available for " + f.getClass().getSimpleName());
        };
    }

    private static Choice level(LayerFactorizer f, boolean byEnergy, double x) { return byEnergy ? f.forEnergy(x) : f.forMacFraction(x); }

    private static long cost(List<LayerFactorizer> layers, boolean byEnergy, double x) {
        long total = 0;
        for (LayerFactorizer f : layers) {
            Choice c = level(f, byEnergy, x);
            total += worthIt(f, c) ? c.macs() : f.originalMacs();
        }
        return total;
    }

    static boolean worthIt(LayerFactorizer f, Choice c) { return c.macs() < f.originalMacs() || c.params() < f.originalParams(); }
}
