package io.nnzip.ir;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Topological ordering of a graph's nodes (Kahn's algorithm, stable: ready nodes keep their original order). */
public final class TopoSort {
    private TopoSort() {}

    /** Reorders {@code g.nodes()} topologically; throws naming the nodes on a cycle. */
    public static void sort(Graph g) {
        List<Node> sorted = order(g.nodes());
        g.nodes().clear();
        g.nodes().addAll(sorted);
    }

    public static List<Node> order(List<Node> nodes) {
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) for (String o : nodes.get(i).outputs()) if (!o.isEmpty()) producer.put(o, i);
        int n = nodes.size();
        int[] pending = new int[n];
        List<List<Integer>> users = new ArrayList<>();
        for (int i = 0; i < n; i++) users.add(new ArrayList<>());
        for (int i = 0; i < n; i++) {
            Set<Integer> deps = new HashSet<>();
            for (String in : allInputs(nodes.get(i))) {
                Integer p = producer.get(in);
                if (p != null && p != i) deps.add(p);
                else if (p != null) throw new NnzipException("cycle: " + nodes.get(i).describe() + " reads its own output '" + in + "'");
            }
            pending[i] = deps.size();
            for (int d : deps) users.get(d).add(i);
        }
        // a priority on original index keeps the order stable
        java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
        for (int i = 0; i < n; i++) if (pending[i] == 0) ready.add(i);
        List<Node> out = new ArrayList<>(n);
        while (!ready.isEmpty()) {
            int i = ready.poll();
            out.add(nodes.get(i));
            for (int u : users.get(i)) if (--pending[u] == 0) ready.add(u);
        }
        if (out.size() != n) {
            List<String> stuck = new ArrayList<>();
            for (int i = 0; i < n && stuck.size() < 5; i++) if (pending[i] > 0) stuck.add(nodes.get(i).describe());
            throw new NnzipException("graph has a cycle through " + String.join(", ", stuck));
        }
        return out;
    }

    /** Explicit inputs plus the outer-scope values a node's subgraphs read. */
    public static List<String> allInputs(Node node) {
        List<String> ins = new ArrayList<>();
        for (String s : node.inputs()) if (!s.isEmpty()) ins.add(s);
        for (Attribute a : node.attributes().values()) {
            if (a.type() == Attribute.Type.GRAPH) ins.addAll(freeVariables((Graph) a.value()));
            if (a.type() == Attribute.Type.GRAPHS) for (Object g : (List<?>) a.value()) ins.addAll(freeVariables((Graph) g));
        }
        return ins;
    }

    /** Names a subgraph reads that it does not define itself. */
    public static Set<String> freeVariables(Graph g) {
        Set<String> defined = new HashSet<>(g.initializers().keySet());
        g.inputs().forEach(v -> defined.add(v.name()));
        Set<String> free = new java.util.LinkedHashSet<>();
        Deque<Node> todo = new ArrayDeque<>(g.nodes());
        for (Node n : todo) n.outputs().forEach(defined::add);
        for (Node n : todo) for (String i : allInputs(n)) if (!defined.contains(i)) free.add(i);
        for (ValueInfo o : g.outputs()) if (!defined.contains(o.name())) free.add(o.name());
        return free;
    }
}
