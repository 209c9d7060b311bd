package io.nnzip.bayes;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The group scales of Bayesian compression on top of a {@link NoiseBranches} training graph: the output y of a gated
 * Gemm, MatMul or Conv (bias included, after its weight noise) is multiplied per output channel by a sample of its
 * scale z ~ N(μ_z, σ_z²), drawn per example:
 * <pre>
 * z = μ_z + exp(½·log σ_z²) · noise_z          (noise_z: a graph input, N(0, 1), one per example and channel)
 * y = y_noisy · z
 * </pre>
 * With w = z·w̃ and the noisy layer already sampling x·w̃ exactly (local reparameterization), this samples the
 * pre-activation of the hierarchical posterior q(z)·q(w̃) exactly. μ_z starts at 1 and log σ_z² at the weights'
 * initial log-variance, so the graph starts as the trained network. μ_z and log σ_z² have shape (C) for a (B, C)
 * output and (C, 1, 1) for a (B, C, H, W) one.
 */
public final class GroupGates {
    /** One gated layer: its weight, the axis of that weight whose slices are its groups, the scale's two initializers and the noise input. */
    public record Gate(String weight, int axis, String zMu, String zLogVar, String noise, int[] sampleShape) {}

    private final List<Gate> gates;

    private GroupGates(List<Gate> gates) { this.gates = gates; }

    public List<Gate> gates() { return gates; }

    /**
     * Adds a gate, in place on {@code noisy.model()}, to every layer of {@code axisByWeight} (weight → axis of its
     * output channels); {@code outputByWeight} names each such layer's output in the graph before the noise was added.
     */
    public static GroupGates attach(NoiseBranches noisy, Map<String, Integer> axisByWeight, Map<String, String> outputByWeight, float initLogVar) {
        Model m = noisy.model();
        Graph g = m.graph();
        List<Gate> gates = new ArrayList<>();
        for (Map.Entry<String, Integer> e : axisByWeight.entrySet()) {
            String w = e.getKey(), y = outputByWeight.get(w);
            Tensor t = g.initializer(w);
            if (t == null || y == null) throw new NnzipException("bayesian compression: no layer reads the weight '" + w + "'");
            int channels = t.shape()[e.getValue()];
            Node producer = g.producers().get(y);
            NoiseBranches.Layer layer = noisy.layers().stream().filter(l -> l.weight().equals(w)).findFirst()
                    .orElseThrow(() -> new NnzipException("bayesian compression: '" + w + "' has no noise branch"));
            int[] sample = layer.sampleShape();
            if (sample.length == 0 || sample[0] != channels)
                throw new NnzipException("bayesian compression: the output of '" + w + "' has shape " + Arrays.toString(sample) + ", not " + channels + " channels first");
            int[] zShape = new int[sample.length];
            Arrays.fill(zShape, 1);
            zShape[0] = channels;
            float[] mu = new float[channels], lv = new float[channels];
            Arrays.fill(mu, 1f);
            Arrays.fill(lv, initLogVar);
            String base = w.replaceAll("[^A-Za-z0-9_]", "_") + "_z";
            String zMu = g.freshName(w + ".z_mu"), zLv = g.freshName(w + ".z_log_var"), noise = g.freshName(w + ".z_noise");
            g.initializers().put(zMu, new Tensor(DType.FLOAT, zShape, mu));
            g.initializers().put(zLv, new Tensor(DType.FLOAT, zShape.clone(), lv));
            long[] dims = new long[zShape.length + 1];
            dims[0] = -1;
            for (int d = 0; d < zShape.length; d++) dims[d + 1] = zShape[d];
            g.inputs().add(ValueInfo.of(noise, DType.FLOAT, dims));
            String half = g.freshName(base + "_half"), hl = g.freshName(base + "_half_log_var"), sd = g.freshName(base + "_std");
            String dz = g.freshName(base + "_dz"), z = g.freshName(base + "_sample"), pre = g.freshName(y + "_ungated");
            g.initializers().put(half, Tensor.scalar(0.5f));
            producer.outputs().set(0, pre);
            List<Node> added = List.of(
                    new Node(base + "_half_log_var", "Mul", List.of(zLv, half), List.of(hl)),
                    new Node(base + "_std", "Exp", List.of(hl), List.of(sd)),
                    new Node(base + "_dz", "Mul", List.of(sd, noise), List.of(dz)),
                    new Node(base + "_sample", "Add", List.of(zMu, dz), List.of(z)),
                    new Node(base + "_gate", "Mul", List.of(pre, z), List.of(y)));
            g.nodes().addAll(g.nodes().indexOf(producer) + 1, added);
            gates.add(new Gate(w, e.getValue(), zMu, zLv, noise, zShape));
        }
        return new GroupGates(List.copyOf(gates));
    }

    /** Per batch, one standard normal tensor per gate, shaped (batch, C, 1...), from a seeded stream. */
    public Function<io.nnzip.data.Batch, Map<String, Tensor>> feeds(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return b -> {
            Map<String, Tensor> f = new HashMap<>();
            for (Gate gt : gates) {
                int[] shape = new int[gt.sampleShape().length + 1];
                shape[0] = b.size();
                System.arraycopy(gt.sampleShape(), 0, shape, 1, gt.sampleShape().length);
                float[] z = new float[io.nnzip.ir.Shapes.numel(shape)];
                for (int i = 0; i < z.length; i++) z[i] = (float) rng.nextGaussian();
                f.put(gt.noise(), new Tensor(DType.FLOAT, shape, z));
            }
            return f;
        };
    }

    /** log σ_z² initializer name per μ_z initializer name. */
    public Map<String, String> logVarByMu() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Gate gt : gates) m.put(gt.zMu(), gt.zLogVar());
        return m;
    }
}
