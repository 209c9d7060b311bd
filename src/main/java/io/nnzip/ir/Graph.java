package io.nnzip.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A dataflow graph: nodes in (ideally topological) order, declared inputs and outputs, initializers (named
 * constant tensors, the weights) and optional type annotations of intermediate values. Mutable; passes edit it
 * in place and call {@link TopoSort#sort} or {@link GraphValidator#validate} when they are done.
 */
public final class Graph {
    private String name;
    private final List<Node> nodes = new ArrayList<>();
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<ValueInfo> outputs = new ArrayList<>();
    private final Map<String, Tensor> initializers = new LinkedHashMap<>();
    private final Map<String, ValueInfo> valueInfo = new LinkedHashMap<>();
    private String docString = "";

    public Graph(String name) { this.name = name == null ? "" : name; }

    public String name() { return name; }

    public void setName(String n) { name = n; }

    public List<Node> nodes() { return nodes; }

    public List<ValueInfo> inputs() { return inputs; }

    public List<ValueInfo> outputs() { return outputs; }

    public Map<String, Tensor> initializers() { return initializers; }

    public Map<String, ValueInfo> valueInfo() { return valueInfo; }

    public String docString() { return docString; }

    public void setDocString(String d) { docString = d == null ? "" : d; }

    public Tensor initializer(String n) { return initializers.get(n); }

    public boolean isInitializer(String n) { return initializers.containsKey(n); }

    /** Graph inputs that are fed at run time (ONNX lets an initializer double as an input with a default). */
    public List<ValueInfo> runtimeInputs() {
        return inputs.stream().filter(v -> !initializers.containsKey(v.name())).toList();
    }

    public ValueInfo input(String n) {
        for (ValueInfo v : inputs) if (v.name().equals(n)) return v;
        return null;
    }

    public List<String> outputNames() { return outputs.stream().map(ValueInfo::name).toList(); }

    /** Value name → the node that produces it. */
    public Map<String, Node> producers() {
        Map<String, Node> m = new HashMap<>();
        for (Node n : nodes) for (String o : n.outputs()) if (!o.isEmpty()) m.put(o, n);
        return m;
    }

    /** Value name → nodes that read it, in node order (a node reading a value twice is listed once). */
    public Map<String, List<Node>> consumers() {
        Map<String, List<Node>> m = new HashMap<>();
        for (Node n : nodes) {
            Set<String> seen = new HashSet<>();
            for (String i : n.inputs()) if (!i.isEmpty() && seen.add(i)) m.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        }
        return m;
    }

    public Node node(String nodeName) {
        for (Node n : nodes) if (n.name().equals(nodeName)) return n;
        return null;
    }

    /** Every name in use (values and nodes), for making fresh ones. */
    public Set<String> usedNames() {
        Set<String> s = new HashSet<>(initializers.keySet());
        inputs.forEach(v -> s.add(v.name()));
        outputs.forEach(v -> s.add(v.name()));
        for (Node n : nodes) {
            s.add(n.name());
            s.addAll(n.inputs());
            s.addAll(n.outputs());
        }
        return s;
    }

    /** A name based on {@code base} that nothing in the graph uses yet. */
    public String freshName(String base) {
        Set<String> used = usedNames();
        if (!used.contains(base)) return base;
        for (int i = 1; ; i++) if (!used.contains(base + "_" + i)) return base + "_" + i;
    }

    /** Drops initializers that no node reads and that are not graph inputs or outputs. */
    public int removeUnusedInitializers() {
        Set<String> used = new HashSet<>();
        for (Node n : nodes) used.addAll(n.inputs());
        collectSubgraphReads(nodes, used);
        outputs.forEach(v -> used.add(v.name()));
        inputs.forEach(v -> used.add(v.name()));
        int before = initializers.size();
        initializers.keySet().removeIf(k -> !used.contains(k));
        return before - initializers.size();
    }

    private static void collectSubgraphReads(List<Node> nodes, Set<String> used) {
        for (Node n : nodes)
            for (Attribute a : n.attributes().values()) {
                if (a.type() == Attribute.Type.GRAPH) ((Graph) a.value()).nodes().forEach(s -> used.addAll(s.inputs()));
                if (a.type() == Attribute.Type.GRAPHS)
                    for (Object g : (List<?>) a.value()) ((Graph) g).nodes().forEach(s -> used.addAll(s.inputs()));
            }
    }

    /** Parameter count: elements of all floating-point initializers. */
    public long parameterCount() {
        long p = 0;
        for (Tensor t : initializers.values()) if (t.dtype().isFloating() || t.dtype() == DType.INT8 || t.dtype() == DType.UINT8 || t.dtype() == DType.INT4 || t.dtype() == DType.UINT4) p += t.size();
        return p;
    }

    /** A deep copy of structure; initializer tensors are shared (they are treated as immutable). */
    public Graph copy() {
        Graph g = new Graph(name);
        for (Node n : nodes) g.nodes.add(n.copy());
        g.inputs.addAll(inputs);
        g.outputs.addAll(outputs);
        g.initializers.putAll(initializers);
        g.valueInfo.putAll(valueInfo);
        g.docString = docString;
        return g;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Graph g && name.equals(g.name) && nodes.equals(g.nodes) && inputs.equals(g.inputs)
                && outputs.equals(g.outputs) && initializers.equals(g.initializers) && valueInfo.equals(g.valueInfo);
    }

    @Override
    public int hashCode() { return nodes.size() * 31 + name.hashCode(); }
}
