package io.nnzip.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The edits passes make to a graph's wiring, in one place so every pass keeps the same invariants: graph outputs
 * keep their names (a user refers to them), subgraphs see renamed outer values, and nothing dangles afterwards.
 */
public final class GraphEdits {
    private GraphEdits() {}

    /** Makes every node (and nested subgraph) that reads {@code from} read {@code to}; returns the rewired inputs. */
    public static int replaceUses(Graph g, String from, String to) {
        int n = 0;
        for (Node node : g.nodes()) {
            for (int i = 0; i < node.inputs().size(); i++)
                if (node.input(i).equals(from)) {
                    node.inputs().set(i, to);
                    n++;
                }
            for (Attribute a : node.attributes().values()) for (Graph sub : subgraphs(a)) if (!definesLocally(sub, from)) n += replaceUses(sub, from, to);
        }
        return n;
    }

    /** Puts {@code chain} where {@code old} was (so topological order holds); the chain must write old's outputs. */
    public static void replaceNode(Graph g, Node old, List<Node> chain) {
        int i = g.nodes().indexOf(old);
        if (i < 0) throw new IllegalArgumentException("node " + old.describe() + " is not in the graph");
        g.nodes().remove(i);
        g.nodes().addAll(i, chain);
    }

    /** Rewires the readers of {@code from} to {@code to}, except {@code except} (the node that now produces {@code to} from {@code from}). */
    public static void replaceUsesExcept(Graph g, String from, String to, Node except) {
        for (Node node : g.nodes()) if (node != except) node.inputs().replaceAll(s -> s.equals(from) ? to : s);
    }

    /**
     * Removes a node that passes its first input through unchanged (Identity, inference-mode Dropout), wiring its
     * readers to that input. Refuses (returns false) when its output is a graph output, whose name must stay.
     */
    public static boolean bypass(Graph g, Node n) {
        String in = n.input(0), out = n.output(0);
        if (g.outputNames().contains(out)) return false;
        g.nodes().remove(n);
        replaceUses(g, out, in);
        return true;
    }

    /**
     * Inserts {@code n} (reading {@code value}, writing its single output) right after the producer of
     * {@code value}, and rewires every other reader of {@code value} to n's output. A graph output named
     * {@code value} is renamed to keep pointing at the transformed value only if {@code outputsToo}.
     */
    public static void insertAfter(Graph g, String value, Node n, boolean outputsToo) {
        replaceUsesExcept(g, value, n.output(0), n);
        int at = 0;
        for (int i = 0; i < g.nodes().size(); i++) if (g.nodes().get(i).outputs().contains(value)) at = i + 1;
        g.nodes().add(at, n);
        if (outputsToo) for (int i = 0; i < g.outputs().size(); i++) {
            ValueInfo o = g.outputs().get(i);
            if (o.name().equals(value)) g.outputs().set(i, o.withName(n.output(0)));
        }
    }

    /** The two ends of a value cut open by {@link #interpose}: a new node reads {@code in} and writes {@code out}. */
    public record Cut(String in, String out) {}

    /**
     * Cuts value {@code t} open so a node can sit between it and its readers. When a node produces {@code t}, that
     * node now writes a fresh name and the inserted node takes over {@code t} (so graph outputs and later readers
     * keep the name); a graph input or initializer keeps its name and {@code readers} are moved to a fresh one.
     */
    public static Cut interpose(Graph g, String t, Node producer, java.util.Collection<Node> readers, String inSuffix, String outSuffix) {
        if (producer != null) {
            String in = g.freshName(t + inSuffix);
            producer.outputs().set(producer.outputs().indexOf(t), in);
            return new Cut(in, t);
        }
        String out = g.freshName(t + outSuffix);
        for (Node r : readers) r.inputs().replaceAll(s -> s.equals(t) ? out : s);
        return new Cut(t, out);
    }

    /**
     * Gives every reading (node, input slot) of initializer {@code name} after the first its own name for the same
     * tensor, so a pass can change one reader's weights without touching the others. Returns the new names.
     */
    public static List<String> unshare(Graph g, String name) {
        Tensor t = g.initializer(name);
        if (t == null) throw new NnzipException("unshare: '" + name + "' is not an initializer");
        List<String> made = new ArrayList<>();
        boolean first = !g.outputNames().contains(name);
        for (Node n : g.nodes())
            for (int i = 0; i < n.inputs().size(); i++) {
                if (!n.input(i).equals(name)) continue;
                if (first) {
                    first = false;
                    continue;
                }
                String fresh = g.freshName(name + "_" + (n.name().isEmpty() ? n.opType() : n.name()));
                g.initializers().put(fresh, t);
                n.inputs().set(i, fresh);
                made.add(fresh);
            }
        return made;
    }

    /** Unshares every initializer read more than once (by several nodes or slots); returns how many copies were made. */
    public static int unshareAll(Graph g) {
        Map<String, Integer> reads = new LinkedHashMap<>();
        for (Node n : g.nodes()) for (String i : n.inputs()) if (g.isInitializer(i)) reads.merge(i, 1, Integer::sum);
        int made = 0;
        for (Map.Entry<String, Integer> e : reads.entrySet()) if (e.getValue() > 1) made += unshare(g, e.getKey()).size();
        return made;
    }

    /**
     * Makes initializers with equal contents one again (the reverse of {@link #unshare}, and what exporters do):
     * readers of a duplicate read the first of its kind. Graph inputs and outputs keep their own. Returns the
     * number of initializers dropped.
     */
    public static int reshare(Graph g) {
        Set<String> pinned = new HashSet<>(g.outputNames());
        g.inputs().forEach(v -> pinned.add(v.name()));
        Map<Tensor, String> first = new java.util.HashMap<>();
        Map<String, String> rename = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
            if (pinned.contains(e.getKey())) continue;
            String kept = first.putIfAbsent(e.getValue(), e.getKey());
            if (kept != null) rename.put(e.getKey(), kept);
        }
        if (rename.isEmpty()) return 0;
        for (Node n : g.nodes()) n.inputs().replaceAll(s -> rename.getOrDefault(s, s));
        rename.keySet().forEach(g.initializers()::remove);
        return rename.size();
    }

    /** Drops nodes none of whose outputs is read (by a node, a subgraph or as a graph output); returns how many. */
    public static int removeDeadNodes(Graph g) {
        int removed = 0;
        boolean changed = true;
        while (changed) {
            changed = false;
            Set<String> read = new HashSet<>(g.outputNames());
            for (Node n : g.nodes()) read.addAll(TopoSort.allInputs(n));
            for (Node n : List.copyOf(g.nodes())) {
                boolean live = false;
                for (String o : n.outputs()) live |= !o.isEmpty() && read.contains(o);
                if (!live) {
                    g.nodes().remove(n);
                    removed++;
                    changed = true;
                }
            }
        }
        return removed;
    }

    /** After edits: dead nodes and unused initializers go, nodes are put back in topological order. */
    public static void cleanup(Graph g) {
        removeDeadNodes(g);
        g.removeUnusedInitializers();
        TopoSort.sort(g);
    }

    private static List<Graph> subgraphs(Attribute a) {
        if (a.type() == Attribute.Type.GRAPH) return List.of((Graph) a.value());
        if (a.type() == Attribute.Type.GRAPHS) return ((List<?>) a.value()).stream().map(o -> (Graph) o).toList();
        return List.of();
    }

    private static boolean definesLocally(Graph sub, String name) {
        if (sub.isInitializer(name) || sub.input(name) != null) return true;
        for (Node n : sub.nodes()) if (n.outputs().contains(name)) return true;
        return false;
    }
}
