package io.nnzip.prune.criteria;

import io.nnzip.data.Batch;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Backprop;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.dep.ChannelGraph;
import io.nnzip.prune.dep.ChannelGraph.Entity;
import io.nnzip.prune.dep.CoupledGroups;
import io.nnzip.prune.dep.Dependencies;
import io.nnzip.train.Losses;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * First-order Taylor importance (Molchanov et al. 2019): removing a component zeroes every weight slice in it,
 * which changes the loss by about −Σ g·w over those weights. A component's score is the mean over labelled
 * batches of (Σ g·w)², with gradients of the cross-entropy from nnzip's autodiff engine (eval-mode forward).
 */
public final class TaylorCriterion implements ChannelCriterion {
    private final Iterable<Batch> batches;

    public TaylorCriterion(Iterable<Batch> batches) {
        if (batches == null) throw new NnzipException("--method taylor needs labelled data (--data or --calib-data with labels)");
        this.batches = batches;
    }

    @Override
    public String name() { return "taylor"; }

    @Override
    public double[] score(Dependencies deps, CoupledGroups groups) {
        Model m = deps.model;
        Set<String> params = new LinkedHashSet<>();
        for (Entity e : deps.channels.entities())
            if (e.kind() == ChannelGraph.Kind.TENSOR && m.graph().initializer(e.name()).dtype() == DType.FLOAT) params.add(e.name());
        String in = m.graph().runtimeInputs().getFirst().name(), out = m.graph().outputNames().getFirst();
        double[] s = new double[groups.components.size()];
        int count = 0;
        try (Parallel par = new Parallel(2)) {
            Tape tape = new Tape(m.graph(), m.opset(), par, 0);
            Backprop bp = new Backprop(tape, params);
            for (Batch b : batches) {
                Tensor logits = tape.forward(Map.of(in, b.images()), false).get(out);
                int n = b.size(), k = logits.size() / n;
                float[] grad = new float[logits.size()];
                Losses.softmaxCrossEntropy(logits.toFloats(), b.labels(), n, k, 0f, grad);
                Map<String, Tensor> g = bp.run(Map.of(out, Tensor.of(grad, logits.shape())));
                Map<Integer, double[]> gw = new HashMap<>();
                for (Entity e : deps.channels.entities()) {
                    Tensor gt = g.get(e.name());
                    if (e.kind() != ChannelGraph.Kind.TENSOR || gt == null) continue;
                    gw.put(e.id(), sliceDot(gt.toFloats(), m.graph().initializer(e.name()), e.axis()));
                }
                for (CoupledGroups.Component c : groups.components) {
                    double acc = 0;
                    for (int[] mem : c.members()) {
                        double[] d = gw.get(mem[0]);
                        if (d != null) acc += d[mem[1]];
                    }
                    s[c.id()] += acc * acc;
                }
                count++;
            }
        }
        if (count == 0) throw new NnzipException("taylor: no labelled batches");
        for (int i = 0; i < s.length; i++) s[i] /= count;
        return s;
    }

    /** Σ g·w over each slice of {@code w} along {@code axis}. */
    static double[] sliceDot(float[] g, Tensor w, int axis) {
        int[] shape = w.shape();
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        float[] d = w.toFloats();
        double[] r = new double[shape[axis]];
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < shape[axis]; a++) {
                int base = (o * shape[axis] + a) * inner;
                double acc = 0;
                for (int i = 0; i < inner; i++) acc += (double) g[base + i] * d[base + i];
                r[a] += acc;
            }
        return r;
    }
}
