package io.nnzip.pipeline;

import java.util.Map;

/**
 * What the gate measured of one model: size and cost, ONNX Runtime latency, accuracy when data is given, and how
 * its outputs compare with the previous step's on the probe inputs.
 *
 * @param agreement share of probe inputs whose top-1 class matches the previous step (null for the first)
 * @param maxRelDiff largest |Δoutput| over the previous step's output scale (null for the first)
 * @param sparsity share of zeros over all MAC layers' weights, as dequantized (see {@link WeightValues})
 * @param layerSparsity share of zeros per MAC layer's dequantized weights, by the stored tensor they come from
 * @param layerBits bits per weight needed by the distinct values actually present (32 when unconstrained)
 */
public record Measurement(long params, long macs, long fileBytes, Long codedBytes,
                          @com.fasterxml.jackson.annotation.JsonIgnore Double accuracy, Double agreement,
                          Double maxRelDiff, double ortMs, double sparsity, Map<String, Double> layerSparsity,
                          Map<String, Integer> layerBits) {
    /** JSON carries accuracy as a fraction, as every command does (docs/CLI.md); {@link #accuracy} is in percent. */
    @com.fasterxml.jackson.annotation.JsonProperty("accuracy")
    public Double accuracyFraction() { return accuracy == null ? null : accuracy / 100; }
}
