package io.nnzip.arch;

import io.nnzip.ir.Graph;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.engine.ValueType;
import io.nnzip.lowrank.ConvSite;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which convolutions a redesign replaces: every Conv matching {@code --layers}, except those {@link ConvSite} rejects
 * and stems with fewer than {@code --min-input-channels} inputs. Layers left alone are reported in {@code results}.
 */
final class RedesignSites {
    private RedesignSites() {}

    /** @param keepPointwise also leave 1×1 convolutions alone (nothing to separate) */
    static List<ConvSite> select(Graph g, Map<String, ValueType> types, RedesignConfig cfg, boolean keepPointwise,
                                 List<DepthwiseSeparableRedesign.LayerResult> results) {
        return select(g, types, cfg.layers(), cfg.minInputChannels(), keepPointwise, results);
    }

    /** @param layers regular expression on node names, null = all; @param minInputChannels stems with fewer inputs stay */
    static List<ConvSite> select(Graph g, Map<String, ValueType> types, String layers, int minInputChannels, boolean keepPointwise,
                                 List<DepthwiseSeparableRedesign.LayerResult> results) {
        Pattern pattern = layers == null ? null : Pattern.compile(layers);
        List<ConvSite> sites = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!n.opType().equals("Conv")) continue;
            String name = n.name().isEmpty() ? n.output(0) : n.name();
            if (pattern != null && !pattern.matcher(name).find()) continue;
            Object o = ConvSite.of(n, g, types);
            if (o instanceof ConvSite.Rejection r) {
                results.add(new DepthwiseSeparableRedesign.LayerResult(name, "skipped: " + r.reason(), 0, 0, 0, 0, Double.NaN, Double.NaN));
                continue;
            }
            ConvSite s = (ConvSite) o;
            String why = keepPointwise && s.r() * s.s() == 1 ? "already pointwise"
                    : s.c() < minInputChannels ? "only " + s.c() + " input channels (stem)" : null;
            if (why != null) {
                results.add(new DepthwiseSeparableRedesign.LayerResult(name, "kept: " + why, s.macs(), s.macs(), s.params(), s.params(), Double.NaN, Double.NaN));
                continue;
            }
            sites.add(s);
        }
        if (sites.isEmpty()) throw new NnzipException("no convolution to redesign" + (pattern != null ? " matching --layers '" + layers + "'" : ""));
        return sites;
    }
}
