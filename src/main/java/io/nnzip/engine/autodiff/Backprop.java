package io.nnzip.engine.autodiff;

import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.engine.autodiff.kernels.ActivationBackward;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode differentiation over a recorded {@link Tape}: one reversed loop over the nodes, each calling its
 * rule from {@link GradRules}; a value read by several nodes sums their contributions. Only float values that
 * depend on a parameter carry gradients (shape subgraphs and integer paths are skipped). A node without a
 * rule that sits between a parameter and a differentiated output is an error naming the node.
 */
public final class Backprop {
    private final Tape tape;
    private final Set<String> params;
    /** Values that depend on a parameter through differentiable ops. */
    private Set<String> requires;
    private Set<String> analyzedFor;
    private Set<Node> analyzedFused;
    private List<Node> analyzedOrder;

    public Backprop(Tape tape, Collection<String> params) {
        this.tape = tape;
        this.params = new HashSet<>(params);
    }

    /**
     * Gradients of the parameters given gradients at some graph values (usually the loss gradient at the output).
     * Parameters the seeds do not depend on are absent from the result. The arrays are valid until the tape's
     * next forward pass (they are recycled).
     */
    public Map<String, Tensor> run(Map<String, Tensor> seeds) {
        if (requires == null || !analyzedFor.equals(seeds.keySet()) || !analyzedFused.equals(tape.fusedTails()) || analyzedOrder != tape.order())
            analyze(seeds.keySet());
        Map<String, Tensor> grads = new HashMap<>();
        Set<float[]> sums = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        seeds.forEach((k, v) -> accumulate(grads, sums, k, v));
        List<Node> order = tape.order();
        for (int i = order.size() - 1; i >= 0; i--) {
            Node n = order.get(i);
            Tensor[] dOut = new Tensor[n.outputs().size()];
            boolean any = false;
            for (int j = 0; j < dOut.length; j++) {
                String o = n.output(j);
                if (!o.isEmpty() && (dOut[j] = grads.remove(o)) != null) any = true;
            }
            if (!any) continue;
            // a fused chain's gradient goes from its tail's output straight to its BatchNormalization's inputs
            FusedChain chain = tape.fusedAt(n);
            Node head = chain == null ? n : chain.bn();
            boolean[] need = new boolean[head.inputs().size()];
            boolean wanted = false;
            for (int j = 0; j < need.length; j++) wanted |= need[j] = head.hasInput(j) && requires.contains(head.input(j));
            if (!wanted) continue;
            if (dOut[0] == null) dOut[0] = Tensor.zeros(DType.FLOAT, tape.value(n.output(0)).shape());
            Tensor[] in = new Tensor[need.length], out = new Tensor[dOut.length];
            for (int j = 0; j < in.length; j++) if (head.hasInput(j)) in[j] = tape.value(head.input(j));
            for (int j = 0; j < out.length; j++) if (!n.output(j).isEmpty()) out[j] = tape.value(n.output(j));
            GradStep step = new GradStep(head, in, out, dOut, need, tape.saved(n), tape.context().opset(), tape.context().parallel(), tape.pool());
            Tensor[] dIn;
            if (tape.timer() != null) tape.timer().begin();
            try {
                dIn = chain != null ? FusedChain.backward(step, out[0]) : GradRules.get(n.opType()).backward(step);
                if (tape.timer() != null) tape.timer().end((chain != null ? chain.label() : Tape.label(n)) + " bwd");
            } catch (NnzipException e) {
                throw e.getMessage() != null && e.getMessage().startsWith(n.describe()) ? e : new NnzipException(n.describe() + " (backward): " + e.getMessage(), e);
            }
            for (int j = 0; j < need.length; j++) if (need[j] && j < dIn.length && dIn[j] != null) accumulate(grads, sums, head.input(j), dIn[j]);
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (String p : params) if (grads.containsKey(p)) result.put(p, grads.get(p));
        return result;
    }

    private void accumulate(Map<String, Tensor> grads, Set<float[]> sums, String name, Tensor g) {
        Tensor prev = grads.get(name);
        if (prev == null) {
            // a sum handed on by a rule (dy passed through, perhaps to several inputs) is no longer ours alone
            if (g.dtype() == DType.FLOAT) sums.remove(g.floats());
            grads.put(name, g);
            return;
        }
        if (!Arrays.equals(prev.shape(), g.shape()))
            throw new NnzipException("gradient of '" + name + "' arrives with shapes " + Arrays.toString(prev.shape()) + " and " + Arrays.toString(g.shape()));
        // a rule's gradient may alias another value's (a Reshape passes dy through), so the first sum goes into a
        // step array of its own; later contributions add into that sum in place
        float[] a = prev.floats(), b = g.floats();
        if (sums.contains(a)) {
            ActivationBackward.addInto(a, b, a);
            return;
        }
        float[] r = tape.pool().floats(a.length, false);
        ActivationBackward.addInto(a, b, r);
        sums.add(r);
        grads.put(name, new Tensor(DType.FLOAT, g.shape(), r));
    }

    /** Finds which values carry gradients and rejects non-differentiable ops on a parameter → seed path. */
    private void analyze(Set<String> seeds) {
        Set<String> req = new HashSet<>();
        for (String p : params) if (isFloat(p)) req.add(p);
        Map<Node, String> blocked = new LinkedHashMap<>();
        for (Node n : tape.order()) {
            String from = null;
            for (String in : n.inputs()) if (!in.isEmpty() && req.contains(in) && isFloat(in)) { from = in; break; }
            if (from == null) continue;
            Node tail = fusedTail(n);
            if (tail != null) {
                // the chain's inner values are absent: its tail's output depends on the BatchNormalization's inputs
                for (String o : tail.outputs()) if (!o.isEmpty() && isFloat(o)) req.add(o);
            } else if (GradRules.has(n.opType())) {
                for (String o : n.outputs()) if (!o.isEmpty() && isFloat(o)) req.add(o);
            } else {
                blocked.put(n, from);
            }
        }
        Set<String> reaches = new HashSet<>(seeds);
        List<Node> order = tape.order();
        for (int i = order.size() - 1; i >= 0; i--) {
            Node n = order.get(i);
            if (n.outputs().stream().anyMatch(reaches::contains)) reaches.addAll(n.inputs());
        }
        for (Map.Entry<Node, String> b : blocked.entrySet())
            for (String o : b.getKey().outputs())
                if (!o.isEmpty() && isFloat(o) && reaches.contains(o))
                    throw new NnzipException(b.getKey().describe() + " has no gradient, but trainable parameters reach the loss through it (via '"
                            + b.getValue() + "'); freeze the parameters before it or replace the op. Differentiable ops: " + String.join(", ", GradRules.ops()));
        requires = req;
        analyzedOrder = tape.order();
        analyzedFor = new HashSet<>(seeds);
        analyzedFused = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        analyzedFused.addAll(tape.fusedTails());
    }

    /** The tail of the chain fused this step whose BatchNormalization is {@code n}, else null. */
    private Node fusedTail(Node n) {
        for (Node t : tape.fusedTails()) if (tape.fusedAt(t).bn() == n) return t;
        return null;
    }

    private boolean isFloat(String value) {
        Tensor t = tape.value(value);
        return t != null && t.dtype() == DType.FLOAT;
    }
}
