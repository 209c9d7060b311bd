package io.nnzip.prune.dep;

import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything a structured pruning plan needs to know about a model, computed before anything changes: the
 * channel graph, the shape constants and attributes that follow channel counts, and the values' shapes.
 */
public final class Dependencies {
    /** Entry of a Reshape's shape constant that becomes {@code old - removed(value) / divisor}. */
    public record ShapeEdit(String reshapeOutput, ShapeConstants.Loc loc, String value, int divisor) {}

    public final Model model;
    public final ChannelGraph channels;
    public final Map<String, int[]> shapes;
    public final List<ShapeEdit> shapeEdits = new ArrayList<>();
    /** Split nodes along the channel axis (or a transformer's feature axis): their sizes are recomputed from their outputs' kept channels. */
    public final List<Node> channelSplits = new ArrayList<>();
    /** Depthwise convolutions: {@code group} follows the kept channels. */
    public final List<Node> depthwise = new ArrayList<>();
    /** Keys of weight axes whose slices are whole filters or neurons (a Conv's output rows, a Gemm's output columns). */
    public final java.util.Set<String> filterAxes = new java.util.LinkedHashSet<>();
    /** Keys of BatchNormalization scale (gamma) entities, for network-slimming importance. */
    public final java.util.Set<String> bnScales = new java.util.LinkedHashSet<>();

    Dependencies(Model model, ChannelGraph channels, Map<String, int[]> shapes) {
        this.model = model;
        this.channels = channels;
        this.shapes = shapes;
    }

    public static Dependencies of(Model m) { return DependencyBuilder.build(m); }
}
