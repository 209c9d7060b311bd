package io.nnzip.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds IR graphs in code: {@code String y = b.op("Relu", x);} adds a node and returns its output's name.
 * Names are made unique automatically. Used by the model builders and by tests that build exporter-style graphs.
 */
public final class GraphBuilder {
    private final Graph g;
    private int counter;

    public GraphBuilder(String name) { g = new Graph(name); }

    public Graph graph() { return g; }

    /** Declares a runtime input; a negative dim is symbolic ("N" for the first, "d<i>" after). */
    public String input(String name, DType t, long... dims) {
        List<Dim> d = new ArrayList<>();
        for (int i = 0; i < dims.length; i++) d.add(dims[i] >= 0 ? Dim.of(dims[i]) : Dim.param(i == 0 ? "N" : "d" + i));
        g.inputs().add(new ValueInfo(name, t, d));
        return name;
    }

    public String init(String name, Tensor t) {
        String n = g.initializers().containsKey(name) ? fresh(name) : name;
        g.initializers().put(n, t);
        return n;
    }

    public String init(String name, float[] data, int... shape) { return init(name, Tensor.of(data, shape)); }

    /** Adds a single-output node. */
    public String op(String type, String[] inputs, Attribute... attrs) { return opN(type, 1, inputs, attrs)[0]; }

    public String op(String type, String input, Attribute... attrs) { return op(type, new String[] {input}, attrs); }

    public String op(String type, String a, String b, Attribute... attrs) { return op(type, new String[] {a, b}, attrs); }

    /** Adds a node with {@code nOut} outputs and returns their names. */
    public String[] opN(String type, int nOut, String[] inputs, Attribute... attrs) {
        String base = type.toLowerCase() + "_" + (counter++);
        String[] outs = new String[nOut];
        for (int i = 0; i < nOut; i++) outs[i] = fresh(nOut == 1 ? base : base + "_" + i);
        Node n = new Node(fresh(type + "_" + counter), type, Arrays.asList(inputs), Arrays.asList(outs));
        for (Attribute a : attrs) n.set(a);
        g.nodes().add(n);
        return outs;
    }

    /** Adds a node with explicit name and outputs. */
    public Node node(String name, String type, List<String> inputs, List<String> outputs, Attribute... attrs) {
        Node n = new Node(name, type, inputs, outputs);
        for (Attribute a : attrs) n.set(a);
        g.nodes().add(n);
        return n;
    }

    public void output(String name, DType t, long... dims) {
        List<Dim> d = new ArrayList<>();
        for (int i = 0; i < dims.length; i++) d.add(dims[i] >= 0 ? Dim.of(dims[i]) : Dim.param(i == 0 ? "N" : "d" + i));
        g.outputs().add(new ValueInfo(name, t, dims.length == 0 ? null : d));
    }

    /** Declares an output with unknown shape. */
    public void output(String name, DType t) { g.outputs().add(new ValueInfo(name, t, null)); }

    /** Renames a value everywhere (to give an output a fixed name). */
    public String rename(String from, String to) {
        for (Node n : g.nodes()) {
            n.inputs().replaceAll(s -> s.equals(from) ? to : s);
            n.outputs().replaceAll(s -> s.equals(from) ? to : s);
        }
        return to;
    }

    public String fresh(String base) {
        String n = base;
        for (int i = 1; g.usedNames().contains(n); i++) n = base + "_" + i;
        return n;
    }

    public Model build(long opset) {
        Model m = new Model(g);
        m.opsets().put("", opset);
        return m;
    }
}
