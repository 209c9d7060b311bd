package io.nnzip.models;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * Re-draws a model's learned parameters with the initializers {@link Sequential} gives the built-in architectures, so
 * any ONNX architecture (a redesign, an import) can be trained from scratch with a built-in model's recipe. Conv and
 * Gemm weights are He-uniform, a Gemm that writes a graph output is LeCun-uniform, biases are zero, and a
 * BatchNormalization starts as the identity (scale 1, shift 0, running mean 0, variance 1). Draws follow the node order
 * from one seeded stream, as {@link Sequential} draws layer by layer, so re-drawing a built-in model reproduces the
 * model its recipe builds with that seed.
 */
public final class Reinit {
    private Reinit() {}

    /**
     * Re-draws, in place, the parameters whose name matches {@code regex} (null: all) and that one of the ops above
     * reads; returns their names. Parameters of other ops keep their values, as do non-matching ones; the stream still
     * advances over a skipped conv or Gemm weight, so which parameters are kept does not change the others' draws.
     */
    public static List<String> run(Model m, String regex, long seed) {
        Graph g = m.graph();
        Pattern keep;
        try {
            keep = regex == null ? null : Pattern.compile(regex);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new NnzipException("--reinit '" + regex + "' is not a regular expression: " + e.getDescription() + " at index " + e.getIndex());
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> outputs = g.outputNames(), done = new ArrayList<>();
        for (Node n : g.nodes()) {
            switch (n.opType()) {
                case "Conv" -> {
                    Tensor w = g.initializer(n.input(1));
                    if (w == null || w.rank() != 4) continue;
                    int fanIn = w.dim(1) * w.dim(2) * w.dim(3);
                    put(g, n.input(1), Sequential.uniform(rnd, w.size(), Math.sqrt(6.0 / fanIn)), keep, done);
                    if (n.hasInput(2)) put(g, n.input(2), null, keep, done);
                }
                case "Gemm" -> {
                    Tensor w = g.initializer(n.input(1));
                    if (w == null || w.rank() != 2) continue;
                    int in = n.attrInt("transB", 0) != 0 ? w.dim(1) : w.dim(0);
                    double gain = outputs.contains(n.output(0)) ? Math.sqrt(3.0) : Math.sqrt(6.0);
                    put(g, n.input(1), Sequential.uniform(rnd, w.size(), gain / Math.sqrt(in)), keep, done);
                    if (n.hasInput(2)) put(g, n.input(2), null, keep, done);
                }
                case "BatchNormalization" -> {
                    for (int i = 1; i <= 4; i++) {
                        Tensor t = g.initializer(n.input(i));
                        if (t == null) continue;
                        float[] v = new float[t.size()];
                        if (i == 1 || i == 4) Arrays.fill(v, 1f);
                        put(g, n.input(i), v, keep, done);
                    }
                }
                default -> { }
            }
        }
        return done;
    }

    /**
     * The commands' {@code --reinit [REGEX]}: {@code option} empty re-draws all, else the matching parameters; a
     * selection that matches nothing is an error naming {@code model}. Returns the re-drawn names.
     */
    public static List<String> option(Model m, String option, long seed, String model) {
        List<String> redrawn = run(m, option.isEmpty() ? null : option, seed);
        if (redrawn.isEmpty())
            throw new NnzipException("--reinit " + (option.isEmpty() ? "" : "'" + option + "' ") + "matched no Conv, Gemm or BatchNormalization parameter of " + model);
        return redrawn;
    }

    /** What {@code --reinit option} re-drew, as provenance records it. */
    public static String describe(String option) { return option.isEmpty() ? "all" : option; }

    /** Writes {@code values} (null: zeros) into the float initializer {@code name} when it is selected. */
    private static void put(Graph g, String name, float[] values, Pattern keep, List<String> done) {
        Tensor t = g.initializer(name);
        if (t == null || done.contains(name) || (keep != null && !keep.matcher(name).find())) return;
        g.initializers().put(name, Tensor.of(values != null ? values : new float[t.size()], t.shape()));
        done.add(name);
    }
}
