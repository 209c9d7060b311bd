package io.nnzip.lowrank;

import io.nnzip.ir.Graph;

/**
 * One layer's factorization, after its decomposition has been analysed: how ranks map to cost and error, and
 * the graph rewrite for a chosen rank. Implementations: {@link SvdLinearFactorizer}, {@link SpatialConvFactorizer},
 * {@link TuckerConvFactorizer}, {@link CpConvFactorizer}.
 */
public interface LayerFactorizer {
    String layer();

    String op();

    long originalMacs();

    long originalParams();

    /** Every mode's rank set to {@code rank}, capped at what the layer allows. */
    Choice forRank(int rank);

    /** The smallest ranks that keep {@code energy} (0..1) of the spectrum. */
    Choice forEnergy(double energy);

    /** The largest ranks whose MACs stay within {@code fraction} of the original layer's. */
    Choice forMacFraction(double fraction);

    /** Replaces the layer in {@code g} by its factorized form; returns the measured relative kernel error. */
    double apply(Graph g, Choice c);
}
