package io.nnzip.bayes;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The training graph of sparse variational dropout with the local reparameterization trick (Kingma et al. 2015;
 * Molchanov et al. 2017): every weight θ of a Gemm, MatMul or Conv gets a log-variance log σ² (a new initializer of
 * θ's shape), and the layer's output b = x·θ becomes b + sqrt(x²·σ² + ε)·ε_noise, the exact distribution of the
 * pre-activation under independent Gaussian weights, sampled per example with one standard normal per output:
 * <pre>
 * y = Op(x, θ, bias)                            (the original node, output renamed y_mean)
 * v = Op(x·x, exp(log σ²))                      (same attributes, no bias; Gemm's alpha squared)
 * y = y_mean + sqrt(v + ε) · noise               (noise: a graph input, N(0, 1), fed per batch)
 * </pre>
 * The noise is a graph input rather than a random op so the engine needs no new kernel: {@link #feeds} draws it.
 * The branches are for training only; the model a pass returns is the original graph with the trained weights.
 */
public final class NoiseBranches {
    /** One noisy layer: its weight, the weight's log-variance initializer, the noise input and its shape without the batch dim. */
    public record Layer(String weight, String logSigma2, String noise, int[] sampleShape) {}

    private final Model model;
    private final List<Layer> layers;
    private final String input;

    private NoiseBranches(Model model, List<Layer> layers, String input) {
        this.model = model;
        this.layers = layers;
        this.input = input;
    }

    public Model model() { return model; }

    public List<Layer> layers() { return layers; }

    /** The data input of the training graph (the original model's first runtime input). */
    public String input() { return input; }

    /**
     * A copy of {@code m} with a noise branch on every Gemm, MatMul or Conv whose weight (input 1) is in
     * {@code weights}, each log σ² initialised to {@code initLogSigma2}.
     */
    public static NoiseBranches attach(Model m, List<String> weights, float initLogSigma2) {
        Model out = m.copy();
        Graph g = out.graph();
        String input = g.runtimeInputs().getFirst().name();
        Map<String, ValueType> types = ShapeInference.infer(g, out.opset(), 1, Map.of());
        List<Layer> layers = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        String eps = g.freshName("vd_epsilon");
        g.initializers().put(eps, Tensor.scalar(1e-8f));
        for (Node n : g.nodes()) {
            nodes.add(n);
            String op = n.opType();
            boolean linear = n.domain().isEmpty() && (op.equals("Gemm") || op.equals("MatMul") || op.equals("Conv"));
            if (!linear || !weights.contains(n.input(1))) continue;
            String w = n.input(1), y = n.output(0);
            ValueType t = types.get(y);
            if (t == null || !t.isConcrete()) throw new NnzipException(n.describe() + ": output shape unknown, cannot add the variational noise");
            int[] sample = java.util.Arrays.copyOfRange(t.shape(), 1, t.rank());
            Tensor theta = g.initializer(w);
            float[] ls = new float[theta.size()];
            java.util.Arrays.fill(ls, initLogSigma2);
            String logS = g.freshName(w + ".log_sigma2"), noise = g.freshName(w + ".vd_noise");
            g.initializers().put(logS, new Tensor(DType.FLOAT, theta.shape(), ls));
            long[] dims = new long[t.rank()];
            dims[0] = -1;
            for (int d = 1; d < dims.length; d++) dims[d] = t.shape()[d];
            g.inputs().add(ValueInfo.of(noise, DType.FLOAT, dims));
            String base = w.replaceAll("[^A-Za-z0-9_]", "_") + "_vd";
            String mean = g.freshName(y + "_mean"), x2 = g.freshName(base + "_x2"), s2 = g.freshName(base + "_s2"), v = g.freshName(base + "_var");
            String ve = g.freshName(base + "_var_eps"), sd = g.freshName(base + "_std"), nz = g.freshName(base + "_noise_out");
            n.outputs().set(0, mean);
            nodes.add(new Node(base + "_x2", "Mul", List.of(n.input(0), n.input(0)), List.of(x2)));
            nodes.add(new Node(base + "_s2", "Exp", List.of(logS), List.of(s2)));
            Node var = new Node(base + "_var", op, List.of(x2, s2), List.of(v));
            for (Attribute a : n.attributes().values()) var.set(a.copy());
            if (op.equals("Gemm")) {
                float alpha = n.attrFloat("alpha", 1f);
                var.set(Attribute.of("alpha", alpha * alpha));
                var.attributes().remove("beta");
            }
            nodes.add(var);
            nodes.add(new Node(base + "_var_eps", "Add", List.of(v, eps), List.of(ve)));
            nodes.add(new Node(base + "_std", "Sqrt", List.of(ve), List.of(sd)));
            nodes.add(new Node(base + "_noise", "Mul", List.of(sd, noise), List.of(nz)));
            nodes.add(new Node(base + "_out", "Add", List.of(mean, nz), List.of(y)));
            layers.add(new Layer(w, logS, noise, sample));
        }
        if (layers.isEmpty()) throw new NnzipException("sparse variational dropout: no Gemm, MatMul or Conv reads the weights " + weights);
        g.nodes().clear();
        g.nodes().addAll(nodes);
        return new NoiseBranches(out, List.copyOf(layers), input);
    }

    /** Normals per independent stream of {@link #feeds}: fixed, so the noise does not depend on the team's size. */
    static final int BLOCK = 1 << 15;

    /**
     * Per batch, one standard normal tensor per noisy layer, shaped (batch, sample shape...), from a seeded stream.
     * A CNN draws tens of thousands of normals per image (one per conv output), so each tensor is filled in blocks,
     * each from its own stream split off the seeded one in block order, and the blocks run on the shared thread team.
     */
    public Function<io.nnzip.data.Batch, Map<String, Tensor>> feeds(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return b -> {
            Map<String, Tensor> f = new HashMap<>();
            for (Layer l : layers) {
                int[] shape = new int[l.sampleShape().length + 1];
                shape[0] = b.size();
                System.arraycopy(l.sampleShape(), 0, shape, 1, l.sampleShape().length);
                float[] z = new float[io.nnzip.ir.Shapes.numel(shape)];
                int blocks = (z.length + BLOCK - 1) / BLOCK;
                SplittableRandom[] streams = new SplittableRandom[blocks];
                for (int k = 0; k < blocks; k++) streams[k] = rng.split();
                io.nnzip.engine.Parallel.common().forChunks(blocks, blocks, (k0, k1) -> {
                    for (int k = k0; k < k1; k++) {
                        SplittableRandom s = streams[k];
                        for (int i = k * BLOCK, end = Math.min(z.length, i + BLOCK); i < end; i++) z[i] = (float) s.nextGaussian();
                    }
                });
                f.put(l.noise(), new Tensor(DType.FLOAT, shape, z));
            }
            return f;
        };
    }

    /** log σ² initializer name per weight name. */
    public Map<String, String> logSigma2ByWeight() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Layer l : layers) m.put(l.weight(), l.logSigma2());
        return m;
    }
}
