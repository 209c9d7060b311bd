package io.nnzip.prune;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Network slimming support (Liu et al. 2017): training with an L1 penalty on BatchNormalization scales drives
 * unneeded channels' gammas toward zero, and {@code prune --structured --method bn-scale} then removes them. This
 * names exactly the tensors that penalty should apply to, whatever the exporter called them, as a regex for the
 * trainer's {@code --l1 LAMBDA:REGEX}.
 */
public final class Slimming {
    private Slimming() {}

    /** Initializer names of the scale (gamma) input of every BatchNormalization, each once. */
    public static List<String> bnScales(Graph g) {
        List<String> out = new ArrayList<>();
        for (Node n : g.nodes())
            if (n.opType().equals("BatchNormalization") && n.hasInput(1) && g.isInitializer(n.input(1)) && !out.contains(n.input(1)))
                out.add(n.input(1));
        return out;
    }

    /** A regex matching exactly {@link #bnScales}, or null when the model has no BatchNormalization. */
    public static String bnScaleRegex(Graph g) {
        List<String> s = bnScales(g);
        if (s.isEmpty()) return null;
        StringBuilder sb = new StringBuilder("^(?:");
        for (int i = 0; i < s.size(); i++) sb.append(i == 0 ? "" : "|").append(Pattern.quote(s.get(i)));
        return sb.append(")$").toString();
    }
}
