package io.nnzip.ir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application. Inputs and outputs are value names; an empty name marks an omitted optional input
 * or output, as in ONNX. Mutable: passes rewire nodes in place.
 */
public final class Node {
    private String name;
    private String opType;
    private String domain;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, Attribute> attributes = new LinkedHashMap<>();
    private String docString = "";

    public Node(String name, String opType, String domain, List<String> inputs, List<String> outputs) {
        this.name = name == null ? "" : name;
        this.opType = opType;
        this.domain = domain == null ? "" : domain;
        this.inputs = new ArrayList<>(inputs);
        this.outputs = new ArrayList<>(outputs);
    }

    public Node(String name, String opType, List<String> inputs, List<String> outputs) {
        this(name, opType, "", inputs, outputs);
    }

    public String name() { return name; }

    public void setName(String n) { name = n; }

    public String opType() { return opType; }

    public void setOpType(String t) { opType = t; }

    public String domain() { return domain; }

    public void setDomain(String d) { domain = d == null ? "" : d; }

    /** Mutable list of input names. */
    public List<String> inputs() { return inputs; }

    /** Mutable list of output names. */
    public List<String> outputs() { return outputs; }

    public String input(int i) { return i < inputs.size() ? inputs.get(i) : ""; }

    public boolean hasInput(int i) { return i < inputs.size() && !inputs.get(i).isEmpty(); }

    public String output(int i) { return outputs.get(i); }

    public Map<String, Attribute> attributes() { return attributes; }

    public String docString() { return docString; }

    public void setDocString(String d) { docString = d == null ? "" : d; }

    public Node set(Attribute a) {
        attributes.put(a.name(), a);
        return this;
    }

    public boolean has(String attr) { return attributes.containsKey(attr); }

    public Attribute attr(String attr) { return attributes.get(attr); }

    public long attrInt(String attr, long dflt) {
        Attribute a = attributes.get(attr);
        return a == null ? dflt : (Long) expect(a, Attribute.Type.INT);
    }

    public float attrFloat(String attr, float dflt) {
        Attribute a = attributes.get(attr);
        return a == null ? dflt : (Float) expect(a, Attribute.Type.FLOAT);
    }

    public String attrString(String attr, String dflt) {
        Attribute a = attributes.get(attr);
        return a == null ? dflt : (String) expect(a, Attribute.Type.STRING);
    }

    /** INTS attribute, or {@code dflt} (may be null) when absent. */
    public long[] attrInts(String attr, long[] dflt) {
        Attribute a = attributes.get(attr);
        return a == null ? dflt : (long[]) expect(a, Attribute.Type.INTS);
    }

    public float[] attrFloats(String attr, float[] dflt) {
        Attribute a = attributes.get(attr);
        return a == null ? dflt : (float[]) expect(a, Attribute.Type.FLOATS);
    }

    public Tensor attrTensor(String attr) {
        Attribute a = attributes.get(attr);
        return a == null ? null : (Tensor) expect(a, Attribute.Type.TENSOR);
    }

    private Object expect(Attribute a, Attribute.Type t) {
        if (a.type() != t) throw new NnzipException(describe() + ": attribute " + a.name() + " is " + a.type() + ", expected " + t);
        return a.value();
    }

    /** "Conv 'conv1'" — how errors name a node. */
    public String describe() { return opType + (name.isEmpty() ? "" : " '" + name + "'"); }

    public Node copy() {
        Node n = new Node(name, opType, domain, inputs, outputs);
        attributes.forEach((k, v) -> n.attributes.put(k, v.copy()));
        n.docString = docString;
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Node n && name.equals(n.name) && opType.equals(n.opType) && domain.equals(n.domain)
                && inputs.equals(n.inputs) && outputs.equals(n.outputs) && attributes.equals(n.attributes);
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + opType.hashCode(); }

    @Override
    public String toString() { return describe() + " " + inputs + " -> " + outputs; }
}
